"""Phone OTP login for citizens over the API (the pages use the same services)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from accounts import services
from accounts.api.serializers import (
    OtpRequestResponseSerializer,
    OtpRequestSerializer,
    OtpTokenPairSerializer,
    OtpVerifySerializer,
    TokenPairSerializer,
)
from accounts.api.views import PublicAuthView
from grievance.client_address import client_address

CODE_SENT = "If this number can receive text messages, a code is on its way."


def client_ip(request) -> str | None:
    # Behind our TLS proxy every citizen has the proxy's REMOTE_ADDR; the one rule tells them apart.
    return client_address(request)


class OtpRequestView(PublicAuthView):
    """Send a 6-digit login code by SMS. The answer never says whether the number is registered."""

    @extend_schema(
        request=OtpRequestSerializer,
        responses={
            202: OtpRequestResponseSerializer,
            400: OpenApiResponse(description="Invalid phone number."),
            429: OpenApiResponse(description="Too many codes requested; see Retry-After."),
        },
    )
    def post(self, request):
        serializer = OtpRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            result = services.otp_request(phone=serializer.validated_data["phone"], ip=client_ip(request))
        except services.RateLimited as exc:
            raise exceptions.Throttled(wait=exc.retry_after, detail=exc.message) from None
        body = {
            "detail": CODE_SENT,
            "phone": result.phone,
            "expires_in": result.expires_in,
            "resend_after": result.resend_after,
        }
        return Response(body, status=status.HTTP_202_ACCEPTED)


class OtpVerifyView(PublicAuthView):
    """Exchange the code for a JWT pair; the first successful verification registers the citizen."""

    throttle_scope = "login"

    @extend_schema(
        request=OtpVerifySerializer,
        responses={200: OtpTokenPairSerializer, 400: OpenApiResponse(description="Wrong, expired or used code.")},
    )
    def post(self, request):
        serializer = OtpVerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, created = services.otp_verify(**serializer.validated_data)
        return Response({**TokenPairSerializer.for_user(user), "created": created})
