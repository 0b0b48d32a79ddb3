import pytest
from django.core.exceptions import ValidationError

from departments.models import Department
from departments.selectors import department_ancestor_ids, department_subtree_ids, subtree_ids_for_user
from departments.services import department_create, department_set_parent
from departments.tests.factories import DepartmentFactory


def build_chain(depth: int) -> list[Department]:
    chain = [DepartmentFactory(code="level-0", name="Level 0")]
    for level in range(1, depth):
        chain.append(DepartmentFactory(code=f"level-{level}", name=f"Level {level}", parent=chain[-1]))
    return chain


class TestCycles:
    def test_a_department_cannot_be_its_own_parent(self, dept_public_works):
        dept_public_works.parent = dept_public_works
        with pytest.raises(ValidationError) as exc:
            dept_public_works.full_clean()
        assert exc.value.message_dict["parent"] == ["A department cannot be its own parent."]

    def test_parent_cannot_be_a_child(self, dept_public_works, dept_roads):
        with pytest.raises(ValidationError) as exc:
            department_set_parent(department=dept_public_works, parent=dept_roads)
        assert "cycle" in exc.value.message_dict["parent"][0]

    def test_cycle_through_several_levels_is_rejected(self, db):
        chain = build_chain(6)
        with pytest.raises(ValidationError) as exc:
            department_set_parent(department=chain[1], parent=chain[5])
        assert "cycle" in exc.value.message_dict["parent"][0]
        chain[1].refresh_from_db()
        assert chain[1].parent_id == chain[0].pk

    def test_save_refuses_a_cycle_even_without_full_clean(self, dept_corporation, dept_roads):
        dept_corporation.parent = dept_roads
        with pytest.raises(ValidationError):
            dept_corporation.save()
        assert Department.objects.get(pk=dept_corporation.pk).parent_id is None

    def test_moving_to_a_sibling_branch_is_fine(self, dept_roads, dept_water):
        department_set_parent(department=dept_roads, parent=dept_water)
        dept_roads.refresh_from_db()
        assert dept_roads.path == "Municipal Corporation / Water Supply / Roads"

    def test_moving_to_the_top(self, dept_roads):
        department_set_parent(department=dept_roads, parent=None)
        dept_roads.refresh_from_db()
        assert (dept_roads.parent_id, dept_roads.path, dept_roads.depth) == (None, "Roads", 0)


class TestPaths:
    def test_path_and_depth(self, dept_roads, dept_corporation):
        assert dept_roads.path == "Municipal Corporation / Public Works / Roads"
        assert (dept_corporation.depth, dept_roads.depth) == (0, 2)

    def test_rename_rewrites_descendant_paths(self, dept_corporation, dept_roads, dept_lighting, dept_water):
        dept_corporation.name = "City Corporation"
        dept_corporation.save()
        paths = dict(Department.objects.values_list("code", "path"))
        assert paths["roads"] == "City Corporation / Public Works / Roads"
        assert paths["street-lighting"] == "City Corporation / Public Works / Street Lighting"
        assert paths["water-supply"] == "City Corporation / Water Supply"

    def test_move_rewrites_the_whole_subtree(self, dept_public_works, dept_roads, dept_water):
        department_set_parent(department=dept_public_works, parent=dept_water)
        rows = {d.code: (d.path, d.depth) for d in Department.objects.all()}
        assert rows["roads"] == ("Municipal Corporation / Water Supply / Public Works / Roads", 3)

    def test_saving_other_fields_keeps_the_path(self, dept_roads):
        dept_roads.contact_email = "roads@example.org"
        dept_roads.save(update_fields=["contact_email"])
        dept_roads.refresh_from_db()
        assert dept_roads.path.endswith("/ Roads")

    def test_create_through_the_service(self, dept_public_works):
        parks = department_create(code="parks", name="Parks", parent=dept_public_works)
        assert parks.path == "Municipal Corporation / Public Works / Parks"

    def test_default_ordering_is_by_path(self, dept_roads, dept_lighting, dept_water):
        assert [d.code for d in Department.objects.all()] == [
            "municipal-corporation",
            "public-works",
            "roads",
            "street-lighting",
            "water-supply",
        ]


class TestSubtree:
    def test_subtree_of_a_branch(self, dept_corporation, dept_public_works, dept_roads, dept_lighting, dept_water):
        assert department_subtree_ids(dept_public_works) == [dept_public_works.pk, dept_roads.pk, dept_lighting.pk]
        assert set(department_subtree_ids(dept_corporation.pk)) == {
            dept_corporation.pk,
            dept_public_works.pk,
            dept_roads.pk,
            dept_lighting.pk,
            dept_water.pk,
        }
        assert department_subtree_ids(dept_roads) == [dept_roads.pk]

    def test_inactive_descendants_are_included(self, dept_public_works, dept_roads):
        Department.objects.filter(pk=dept_roads.pk).update(is_active=False)
        assert dept_roads.pk in department_subtree_ids(dept_public_works)

    def test_unknown_department(self, db):
        assert department_subtree_ids(999_999) == []

    @pytest.mark.parametrize("depth", [3, 40])
    def test_one_query_whatever_the_depth(self, db, django_assert_num_queries, depth):
        chain = build_chain(depth)
        DepartmentFactory(code="side", parent=chain[depth // 2])
        with django_assert_num_queries(1):
            ids = department_subtree_ids(chain[0])
        assert len(ids) == depth + 1
        with django_assert_num_queries(1):
            assert department_ancestor_ids(chain[-1]) == [d.pk for d in reversed(chain)]

    def test_for_user(self, officer_roads, manager_public_works, dept_public_works, dept_roads, citizen):
        assert subtree_ids_for_user(officer_roads) == [dept_roads.pk]
        assert set(subtree_ids_for_user(manager_public_works)) == {dept_public_works.pk, dept_roads.pk}
        assert subtree_ids_for_user(citizen) == []

    def test_for_anonymous_user(self, db):
        from django.contrib.auth.models import AnonymousUser

        assert subtree_ids_for_user(AnonymousUser()) == []


class TestManager:
    def test_manager_must_have_the_manager_role(self, dept_roads, officer_roads):
        dept_roads.manager = officer_roads
        with pytest.raises(ValidationError) as exc:
            dept_roads.full_clean()
        assert "manager" in exc.value.message_dict

    def test_manager_fixture(self, manager_public_works, dept_public_works):
        dept_public_works.refresh_from_db()
        assert dept_public_works.manager == manager_public_works
        assert list(manager_public_works.managed_departments.all()) == [dept_public_works]
