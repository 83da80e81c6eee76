"""Commands on the top floor, over everything below them: ``artlib-predict`` (:mod:`.predict`)."""
