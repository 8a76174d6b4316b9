"""Kinds of things that register themselves: a class per option, listed once.

A likelihood, a benchmark data set: each is one class declaring its name
and its description, and defining the class adds it to its kind's registry.
Option lists in docstrings, validation and command lines are generated from
the registry, never copied (see ``docs/user_guide/likelihoods.rst``).
"""


class Registered:
    """Base of a kind whose subclasses register under their ``name``.

    The kind's base class sets ``registry``, a dict; a subclass that
    declares ``name`` in its own body is added to it, in definition order.
    A subclass without its own ``name`` (a shared parent) is not.
    """

    registry = None
    name = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "name" in vars(cls):
            cls.registry[cls.name] = cls
