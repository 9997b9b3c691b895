"""The [cluster] table of yingjian.toml: absent, one PC exactly as before; present, checked when
the workspace is opened, a typo an error naming the key (never a silent fall back to one PC)."""
import pytest

from yingjian import messages
from yingjian.config import WorkspaceError, load, render


def _workspace(tmp_path, extra: str = ""):
    (tmp_path / "yingjian.toml").write_text(render(["人武部"]) + extra, encoding="utf-8")
    return tmp_path


def test_without_a_cluster_table_everything_stays_on_one_pc(tmp_path):
    config = load(_workspace(tmp_path))
    assert not config.cluster.enabled
    assert config.objects == tmp_path / "archive" / "objects"
    assert config.thumbs == tmp_path / "archive" / "thumbs"


def test_the_cluster_table_is_read(tmp_path):
    config = load(_workspace(tmp_path, '\n[cluster]\ndatabase = "postgresql://u@db:5432/yj"\n'
                                       'broker = "redis://q:6379/0"\nobjects = "/mnt/share/obj"\n'))
    assert config.cluster.enabled
    assert config.cluster.database == "postgresql://u@db:5432/yj"
    assert config.cluster.broker == "redis://q:6379/0"
    assert str(config.objects) == "/mnt/share/obj"
    # images drawn from the objects live beside them, where every head finds a worker's
    assert config.thumbs.as_posix() == "/mnt/share/obj/derived/thumbs"


@pytest.mark.parametrize("line, code, key", [
    ('database = "mysql://db/yj"', "cluster_option_invalid", "database"),
    ('broker = "amqp://q"', "cluster_option_invalid", "broker"),
    ('objects = ""', "cluster_option_invalid", "objects"),
    ('databse = "postgresql://db/yj"', "cluster_option_unknown", "databse"),
])
def test_a_wrong_cluster_setting_is_one_clear_error(tmp_path, line, code, key):
    with pytest.raises(WorkspaceError) as e:
        load(_workspace(tmp_path, f"\n[cluster]\n{line}\n"))
    assert e.value.code == code and e.value.data["key"] == key
    said = messages.error(code, **e.value.data)
    assert key in str(said) and "[cluster]" in str(said)
