from rooms.text import index_terms, morphemes, query_analyze


def test_morphemes_split_particles_and_endings():
    assert morphemes("강남에서 무서운 테마")[:1] == ["강남"]
    assert "추리" in morphemes("홍대추리추천")
    assert "홍대" in morphemes("홍대추리추천")


def test_query_maps_aliases_to_canonical_names_in_one_group():
    analysis = query_analyze("강남역에서 무서운 호러 테마")
    assert "강남" in analysis.terms
    assert "공포" in analysis.terms
    groups = [set(group) for group in analysis.groups]
    assert any({"강남", "강남역"} <= group for group in groups)
    assert any("공포" in group and "호러" in group for group in groups)
    assert analysis.regions == ("강남",)
    # stopwords never reach the query
    assert "테마" not in analysis.terms


def test_negated_genres_leave_the_terms():
    for text in ("안 무서운 테마", "무섭지 않은 테마", "공포 빼고 추천", "공포 말고 다른 거"):
        analysis = query_analyze(text)
        assert analysis.negated_genres == ("공포",), text
        assert "공포" not in analysis.terms, text


def test_index_terms_do_not_claim_a_negated_genre():
    assert "공포" not in index_terms("겁이 많은 분도 안심하고 즐길 수 있는 안 무서운 테마입니다.")
    assert "공포" in index_terms("무서운 연출이 가득한 폐병원입니다.")


def test_romanised_names_and_foreign_words():
    analysis = query_analyze("Hongdae horror SF")
    assert {"홍대", "공포", "sf"} <= set(analysis.terms)
