from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_role_groups_after_migrate(sender, app_config=None, using="default", **kwargs):
    # post_migrate is sent once per app, and each app's permissions are created by auth's own
    # handler for that app; syncing after the last app sees every permission, including those of
    # apps added after accounts' data migration ran.
    from django.apps import apps

    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if with_models and sender is with_models[-1]:
        from accounts.roles import sync_role_groups

        sync_role_groups(using=using)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from accounts import schema  # noqa: F401  (registers the OpenAPI auth extension)

        post_migrate.connect(_sync_role_groups_after_migrate, dispatch_uid="accounts.sync_role_groups")
