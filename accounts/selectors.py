from accounts.models import User


def user_email_taken(*, email: str) -> bool:
    return User.objects.filter(email__iexact=email).exists()


def user_username_taken(*, username: str) -> bool:
    return User.objects.filter(username__iexact=username).exists()
