"""Tests of the geometry registry: each geometry describes itself once."""

import re

import pytest

from sklearn_ae import ManifoldAutoEncoder
from sklearn_ae._geometry import (
    GEODESIC_LANDMARKS,
    GEOMETRIES,
    GraphTerm,
    TeacherGeometry,
    geometry_docs,
)


def _parameter_text(name):
    """A parameter's entry in ManifoldAutoEncoder's docstring."""
    doc = ManifoldAutoEncoder.__doc__
    start = doc.index(f"\n    {name} : ")
    end = re.search(r"\n    \w+ : ", doc[start + 1 :]).start() + start + 1
    return " ".join(doc[start:end].split())


def test_every_geometry_is_registered_in_order():
    assert list(GEOMETRIES) == ["umap", "tsne", "isomap", "layout"]
    for option, cls in GEOMETRIES.items():
        assert issubclass(cls, GraphTerm) and cls.option == option


def test_validation_accepts_exactly_the_registered_geometries():
    (options, _) = ManifoldAutoEncoder._parameter_constraints["geometry"]
    assert options.options == {"auto", *GEOMETRIES}


def test_reference_lists_each_geometry_with_its_auto_values():
    text = _parameter_text("geometry")
    listed = ", ".join(f'"{option}"' for option in ["auto", *GEOMETRIES])
    assert text.startswith(f"geometry : {{{listed}}} or estimator, default=")
    for cls in [*GEOMETRIES.values(), TeacherGeometry]:
        assert " ".join(cls.description.split()) in text, cls.option
    weights = _parameter_text("geometry_weight")
    assert '``"auto"`` is 1 for ``"umap"``, 10 for ``"tsne"`` and 100 for' in weights
    neighbors = _parameter_text("n_neighbors")
    assert '90 for ``"tsne"``' in neighbors and "15 for" in neighbors
    noise = _parameter_text("input_noise")
    assert '``"auto"`` is 0.7 for ``"layout"`` and 0 otherwise.' in noise


@pytest.fixture
def new_geometry():
    """A geometry defined as a contributor would add one; unregistered after."""

    class Spectral(GraphTerm):
        option = "spectral"
        description = "a test geometry."
        default_weight = 3.0
        default_neighbors = 7
        default_noise = 0.2

    yield Spectral
    del GEOMETRIES["spectral"]


def test_a_new_geometry_is_one_class(new_geometry):
    assert GEOMETRIES["spectral"] is new_geometry
    docs = geometry_docs()
    assert docs["geometry_options"].endswith('"layout", "spectral"')
    assert '- ``"spectral"``: a test geometry.' in docs["geometry_list"]
    assert '3 for ``"spectral"``' in " ".join(docs["geometry_weights"].split())
    assert '7 for ``"spectral"``' in " ".join(docs["geometry_neighbors"].split())
    noise = " ".join(docs["geometry_noise"].split())
    assert '0.7 for ``"layout"`` and 0.2 for ``"spectral"`` and 0' in noise
    model = ManifoldAutoEncoder(n_neighbors="auto", neighbors="exact")
    term = new_geometry.of(model)
    assert term.n_neighbors == 7 and term.at_most_rows


def test_row_limits_come_from_the_geometry():
    GraphTerm.check_rows("auto", 3)
    with pytest.raises(ValueError, match="n_neighbors=5 must be below"):
        GraphTerm.check_rows(5, 5)
    isomap = GEOMETRIES["isomap"]
    # Geodesics take any number of rows: above the landmarks' count, theirs.
    isomap.check_rows(15, 10**7)
    assert isomap.graph_rows(10**7) == GEODESIC_LANDMARKS
    assert isomap.graph_rows(100) == 100
    isomap.check_rows(GEODESIC_LANDMARKS - 1, 10**7)
    with pytest.raises(ValueError, match=f"in the graph \\({GEODESIC_LANDMARKS}\\)"):
        isomap.check_rows(GEODESIC_LANDMARKS, 10**7)
