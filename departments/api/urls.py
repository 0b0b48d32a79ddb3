from rest_framework.routers import SimpleRouter

from departments.api.views import CategoryViewSet, ClosureReasonViewSet, DepartmentViewSet, SLAPolicyViewSet

router = SimpleRouter()
router.register("departments", DepartmentViewSet, basename="department")
router.register("categories", CategoryViewSet, basename="category")
router.register("closure-reasons", ClosureReasonViewSet, basename="closure-reason")
router.register("sla-policies", SLAPolicyViewSet, basename="sla-policy")

urlpatterns = router.urls
