import pytest
from http_fixture_server import dead_url

from artlib.download import (
    OfflineError,
)


def test_range_file_offline_is_an_offline_error():
    from artlib.download import HTTPRangeFile

    with pytest.raises(OfflineError, match="cannot reach"):
        HTTPRangeFile(f"{dead_url()}/wikiart.zip")
