import os

import pandas as pd
import pytest

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


@pytest.fixture
def air():
    return pd.read_csv(os.path.join(REPO, "data", "air_passengers.csv"), parse_dates=["ds"])


@pytest.fixture
def panel():
    from neurodivergent.utils import AirPassengersPanel

    return AirPassengersPanel.copy()
