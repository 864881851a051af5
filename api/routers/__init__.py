"""One router per part of the original design's API: each endpoint validates its input, calls the
same model, QuerySet or workflow function the pages call, and returns a schema."""
