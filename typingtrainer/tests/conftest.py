from __future__ import annotations

from pathlib import Path

import pytest

from typingtrainer.tests.production import dockerfile_collectstatic


@pytest.fixture(scope="session")
def image_var_dir(tmp_path_factory) -> Path:
    """A VAR_DIR as the image's build leaves it: static files collected, with the manifest that
    production's pages (error pages too) need."""
    var_dir = tmp_path_factory.mktemp("image-var")
    result = dockerfile_collectstatic(var_dir)
    assert result.returncode == 0, result.stderr
    return var_dir
