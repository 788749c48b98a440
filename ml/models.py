from django.db import models


class ServedModel(models.Model):
    """The serving copy of a model that web processes answer with, one row per served name: each champion
    (`recommender`, `trends`, `session_quality`) and the newest run's session-quality baseline
    (`session_quality.baseline`). Written when training promotes a version (or by `ml_publish`); read by
    ml.inference with numpy alone, so a web process never loads torch or MLflow. MLflow stays the record of
    every run and version."""

    name = models.CharField("이름", max_length=64, unique=True)
    version = models.CharField("버전", max_length=32, help_text="MLflow 모델 레지스트리의 버전")
    run_id = models.CharField("MLflow 실행 ID", max_length=64, blank=True, default="")
    # numpy.savez of every array of the bundle (weights as float32); see ml.serving.bundle_pack.
    payload = models.BinaryField("가중치")
    meta = models.JSONField("설정", default=dict, help_text="배열이 아닌 값: 설정, 블렌드 가중치, 기준 모델 계수")
    published_at = models.DateTimeField("게시 시각")

    class Meta:
        verbose_name = "서빙 모델"
        verbose_name_plural = "서빙 모델"
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}:v{self.version}"
