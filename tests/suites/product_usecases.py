"""Product use-case tests, run against the fakes (tests/unit) and the real SQL adapters on
SQLite and PostgreSQL (tests/integration). Each test takes:

- ``uow_factory``: a callable returning a fresh UnitOfWork on an empty catalog
- ``published``: a callable returning the event types committed so far, oldest first
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from acme.application import products as uc
from acme.application.ports import ProductFilter, UnitOfWork
from acme.domain.errors import (
    ConfirmationRequiredError,
    ConflictError,
    NotFoundError,
    ValidationError,
)
from tests.fakes import FakeClock

UowFactory = Callable[[], UnitOfWork]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_create_then_get_round_trips_every_field(uow_factory: UowFactory, clock: FakeClock) -> None:
    created = uc.create_product(
        uow_factory, clock, uc.NewProduct("  Ab-1 ", "Chair", "Oak, 4 legs\nsecond line", False)
    )
    got = uc.get_product(uow_factory, created.id or 0)
    assert (got.sku, got.name, got.description, got.active) == (
        "Ab-1",
        "Chair",
        "Oak, 4 legs\nsecond line",
        False,
    )
    assert got.created_at == created.created_at
    assert got.created_at is not None and got.created_at.tzinfo is not None


def test_sku_collision_is_case_insensitive_and_names_the_holder(
    uow_factory: UowFactory, clock: FakeClock
) -> None:
    first = uc.create_product(uow_factory, clock, uc.NewProduct("Ab-1", "Chair"))
    with pytest.raises(ConflictError, match=f"product {first.id}"):
        uc.create_product(uow_factory, clock, uc.NewProduct(" aB-1", "Other"))
    page = uc.list_products(uow_factory, ProductFilter())
    assert [p.name for p in page.items] == ["Chair"]


def test_update_to_a_sku_held_by_another_product_conflicts(
    uow_factory: UowFactory, clock: FakeClock
) -> None:
    uc.create_product(uow_factory, clock, uc.NewProduct("A", "a"))
    b = uc.create_product(uow_factory, clock, uc.NewProduct("B", "b"))
    with pytest.raises(ConflictError):
        uc.update_product(uow_factory, clock, b.id or 0, uc.ProductChanges(sku="a"))
    assert uc.get_product(uow_factory, b.id or 0).sku == "B"


def test_update_may_recase_its_own_sku(uow_factory: UowFactory, clock: FakeClock) -> None:
    a = uc.create_product(uow_factory, clock, uc.NewProduct("abc", "a"))
    updated = uc.update_product(uow_factory, clock, a.id or 0, uc.ProductChanges(sku="ABC"))
    assert updated.sku == "ABC"
    assert uc.get_product(uow_factory, a.id or 0).sku == "ABC"


def test_update_changes_only_given_fields_and_bumps_updated_at(
    uow_factory: UowFactory, clock: FakeClock
) -> None:
    a = uc.create_product(uow_factory, clock, uc.NewProduct("abc", "a", "desc"))
    updated = uc.update_product(uow_factory, clock, a.id or 0, uc.ProductChanges(active=False))
    got = uc.get_product(uow_factory, a.id or 0)
    assert (got.name, got.description, got.active) == ("a", "desc", False)
    assert updated.updated_at is not None and a.updated_at is not None
    assert got.updated_at is not None and got.updated_at > a.updated_at


def test_missing_product_is_not_found(uow_factory: UowFactory, clock: FakeClock) -> None:
    with pytest.raises(NotFoundError, match="product 404 not found"):
        uc.get_product(uow_factory, 404)
    with pytest.raises(NotFoundError):
        uc.update_product(uow_factory, clock, 404, uc.ProductChanges(name="x"))
    with pytest.raises(NotFoundError):
        uc.delete_product(uow_factory, clock, 404)


def test_delete_one_removes_it_and_publishes(
    uow_factory: UowFactory, clock: FakeClock, published: Callable[[], list[str]]
) -> None:
    a = uc.create_product(uow_factory, clock, uc.NewProduct("a", "a"))
    uc.create_product(uow_factory, clock, uc.NewProduct("b", "b"))
    uc.delete_product(uow_factory, clock, a.id or 0)
    assert [p.sku for p in uc.list_products(uow_factory, ProductFilter()).items] == ["b"]
    assert published() == ["product.created", "product.created", "product.deleted"]


def test_delete_all_needs_confirmation_and_sends_one_event(
    uow_factory: UowFactory, clock: FakeClock, published: Callable[[], list[str]]
) -> None:
    for i in range(3):
        uc.create_product(uow_factory, clock, uc.NewProduct(f"s{i}", "n"))
    with pytest.raises(ConfirmationRequiredError):
        uc.delete_all_products(uow_factory, clock, confirm=False)
    assert uc.list_products(uow_factory, ProductFilter()).total == 3
    assert uc.delete_all_products(uow_factory, clock, confirm=True) == 3
    assert uc.list_products(uow_factory, ProductFilter()).total == 0
    assert published().count("products.deleted_all") == 1
    assert published().count("product.deleted") == 0


def test_failed_change_publishes_nothing(
    uow_factory: UowFactory, clock: FakeClock, published: Callable[[], list[str]]
) -> None:
    uc.create_product(uow_factory, clock, uc.NewProduct("a", "a"))
    with pytest.raises(ConflictError):
        uc.create_product(uow_factory, clock, uc.NewProduct("A", "dup"))
    assert published() == ["product.created"]


def test_no_op_update_publishes_nothing(
    uow_factory: UowFactory, clock: FakeClock, published: Callable[[], list[str]]
) -> None:
    a = uc.create_product(uow_factory, clock, uc.NewProduct("a", "a"))
    uc.update_product(uow_factory, clock, a.id or 0, uc.ProductChanges(name="a"))
    assert published() == ["product.created"]


@pytest.fixture
def catalog(uow_factory: UowFactory, clock: FakeClock) -> None:
    rows = [
        ("RED-chair-1", "Red Chair", "A comfy chair. Made of oak.", True),
        ("red-table-2", "Red Table", "Sturdy table, 100% oak_wood", True),
        ("BLUE-chair-3", "Blue Chair", "A plain chair", False),
        ("green-lamp-4", "Lamp", "Bright; made of steel", True),
        ("ÉTÉ-5", "Élan Ωmega Stool", "Crème brûlée coloured", True),
    ]
    for sku, name, desc, active in rows:
        uc.create_product(uow_factory, clock, uc.NewProduct(sku, name, desc, active))


@pytest.mark.usefixtures("catalog")
@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (
            ProductFilter(),
            ["RED-chair-1", "red-table-2", "BLUE-chair-3", "green-lamp-4", "ÉTÉ-5"],
        ),
        (ProductFilter(name="éLAN ωMEGA"), ["ÉTÉ-5"]),
        (ProductFilter(description="CRÈME BRÛLÉE"), ["ÉTÉ-5"]),
        (ProductFilter(sku="été-"), ["ÉTÉ-5"]),
        (ProductFilter(sku="red-"), ["RED-chair-1", "red-table-2"]),
        (ProductFilter(sku="CHAIR"), ["RED-chair-1", "BLUE-chair-3"]),
        (ProductFilter(name="chair"), ["RED-chair-1", "BLUE-chair-3"]),
        (ProductFilter(description="MADE OF"), ["RED-chair-1", "green-lamp-4"]),
        (ProductFilter(description="100%"), ["red-table-2"]),
        (ProductFilter(description="oak_"), ["red-table-2"]),
        (ProductFilter(description="%"), ["red-table-2"]),
        (ProductFilter(active=False), ["BLUE-chair-3"]),
        (ProductFilter(active=True, name="red", description="oak"), ["RED-chair-1", "red-table-2"]),
        (ProductFilter(name="stool", description="brûlée", active=True), ["ÉTÉ-5"]),
        (ProductFilter(sku="chair", active=True), ["RED-chair-1"]),
        (ProductFilter(name="nothing like this"), []),
    ],
)
def test_filters_are_case_insensitive_contains_and_combine(
    uow_factory: UowFactory, filters: ProductFilter, expected: list[str]
) -> None:
    page = uc.list_products(uow_factory, filters)
    assert [p.sku for p in page.items] == expected
    assert page.total == len(expected)


def test_pagination_walks_every_product_once(uow_factory: UowFactory, clock: FakeClock) -> None:
    for i in range(7):
        uc.create_product(uow_factory, clock, uc.NewProduct(f"p{i}", f"n{i}"))
    pages = [
        uc.list_products(uow_factory, ProductFilter(), page=n, page_size=3) for n in (1, 2, 3, 4)
    ]
    assert [[p.sku for p in pg.items] for pg in pages] == [
        ["p0", "p1", "p2"],
        ["p3", "p4", "p5"],
        ["p6"],
        [],
    ]
    assert {pg.total for pg in pages} == {7}


@pytest.mark.parametrize(("page", "size"), [(0, 10), (1, 0), (1, 10_000)])
def test_bad_paging_is_a_validation_error(uow_factory: UowFactory, page: int, size: int) -> None:
    with pytest.raises(ValidationError):
        uc.list_products(uow_factory, ProductFilter(), page=page, page_size=size)
