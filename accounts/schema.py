"""OpenAPI description of the API-key and JWT authentication (loaded by AccountsConfig.ready)."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Service API key: `Api-Key <prefix>.<secret>`.",
        }


class JWTAuthenticationScheme(SimpleJWTScheme):
    """accounts.authentication.JWTAuthentication is simplejwt's with a cheaper user read: the same
    scheme in the schema."""

    target_class = "accounts.authentication.JWTAuthentication"
