"""viz tests run matplotlib on the Agg backend (set here, not globally)."""

from __future__ import annotations

import matplotlib
import pytest
from viz_helpers import lecture_chain, readme_graph

from autograd import Value

matplotlib.use("Agg")


@pytest.fixture
def readme() -> dict[str, Value]:
    return readme_graph()


@pytest.fixture
def chain() -> dict[str, Value]:
    return lecture_chain()
