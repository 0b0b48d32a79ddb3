import factory

from accounts.models import Role, User

TEST_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    role = Role.CITIZEN
    full_name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"user{n}@example.org")
    phone = factory.Sequence(lambda n: f"+9198{n:08d}")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save_password(self, create, extracted, **kwargs):
        if create:
            self.save(update_fields=["password"])
