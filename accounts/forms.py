from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from accounts.models import User


class StaffUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "phone", "full_name", "role", "department")


class StaffUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
