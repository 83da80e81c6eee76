from artlib.train import (
    EarlyStopping,
)


def test_early_stopping():
    stop = EarlyStopping(patience=2, mode="max")
    assert stop.step(0.5) and not stop.step(0.4) and not stop.should_stop
    assert not stop.step(0.5) and stop.should_stop
    assert not EarlyStopping(patience=None).should_stop
