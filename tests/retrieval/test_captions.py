from artlib.retrieval.captions import painting_caption


def test_a_caption_is_the_title_and_artist_else_the_file_name():
    assert painting_caption({"title": "Irises", "artist_name": "Van Gogh", "path": "a/x.jpg"}) == "Irises — Van Gogh"
    assert painting_caption({"title": "", "path": "a/b/irises-1889.jpg"}) == "irises-1889"
    assert painting_caption({"title": float("nan"), "artist_name": None, "path": "x.png"}) == "x"
    assert painting_caption({"id": "s3://bucket/p/7.jpg"}, fallback="id") == "7"
