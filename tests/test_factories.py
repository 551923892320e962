"""Every factory builds a valid, saved row."""

import pytest

from tests import factories

ALL_FACTORIES = [
    getattr(factories, name)
    for name in dir(factories)
    if name.endswith("Factory")
    and name != "DjangoModelFactory"
    and hasattr(getattr(factories, name), "_meta")
]


@pytest.mark.django_db
@pytest.mark.parametrize("factory_class", ALL_FACTORIES, ids=lambda f: f.__name__)
def test_factory_creates_a_valid_row(factory_class):
    obj = factory_class()
    obj.full_clean(validate_unique=False, validate_constraints=False)
    assert obj.pk is not None
