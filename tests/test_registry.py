"""Kinds that register themselves (sklearn_ae/_registry.py)."""

from sklearn_ae._registry import Registered


def test_a_subclass_declaring_a_name_registers_in_its_kind():
    kinds = {}

    class Kind(Registered):
        registry = kinds

    class Parent(Kind):  # shared behaviour, no name of its own
        pass

    class First(Parent):
        name = "first"

    class Second(First):
        name = "second"

    class Again(Second):  # inherits "second" without declaring it
        pass

    assert kinds == {"first": First, "second": Second}
    assert list(kinds) == ["first", "second"]  # definition order
