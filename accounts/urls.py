"""Server-rendered account pages (the API's URLs are in accounts/api/urls.py)."""

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.PhoneLoginView.as_view(), name="login"),
    path("login/verify/", views.CodeVerifyView.as_view(), name="login-verify"),
    path("language/", views.set_language, name="set-language"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("reset/done/", views.PasswordResetCompleteView.as_view(), name="password-reset-complete"),
    path("reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password-reset-confirm"),
]
