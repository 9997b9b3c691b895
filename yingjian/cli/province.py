"""`yingjian province init`, `yingjian city add/list/export/import`, `yingjian standard push`:
a province of cities in one deployment (yingjian/province.py does the work)."""
from __future__ import annotations

from pathlib import Path

import click

from .. import province as prov
from .base import cli, emit_json, json_option, system_user
from .standard import standard


def _open(ctx) -> prov.Province:
    p = prov.open_province(ctx.find_root().obj["province"])
    ctx.call_on_close(p.close)
    return p


@cli.group(name="province")
def province_group():
    """省级部署:一个省(市)的多个城市共用一个 PostgreSQL 数据库。

    \b
    示例:
      yingjian province init 贵州省迎检 --name 贵州省 --database postgresql://yingjian@db/province
    """


@province_group.command(name="init")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--name", required=True, metavar="名称", help="省(市)的名称,如 贵州省")
@click.option("--database", required=True, metavar="postgresql://…", help="全省共用的 PostgreSQL 数据库")
@click.option("--standard", type=click.Path(exists=True, dir_okay=False), default=None,
              help="下发给各城市的考评标准(默认:内置标准)")
def province_init(folder, name, database, standard):
    """新建省级部署的文件夹(省级账号、城市名册和各城市的准备情况摘要都在其数据库中)。

    \b
    示例:
      yingjian province init 贵州省迎检 --name 贵州省 --database postgresql://yingjian@db/province
    """
    config = prov.init_province(Path(folder), name, database, Path(standard) if standard else None)
    click.echo(f"已新建省级部署:{name}({config.root})")
    click.echo(f"下一步:yingjian -w {config.root} city add 城市名 --inbox 上传文件夹")


def _grant_text(g: dict) -> str:
    who = f"(由 {g['by']} 于 {g['at']} 设定)" if g["by"] else ""
    if g["granted"]:
        return f"{g['city']}已授权{g['province']}的省级账号代为审核{who}"
    return f"{g['city']}没有授权省级账号代为审核{who};省级账号只能查看"


def _grant_command(granted: bool | None, name: str, summary: str, example: str):
    def command(ctx, city_name, as_json, user=None):
        result = prov.change_grant(ctx.find_root().obj["workspace"], ctx.find_root().obj["province"],
                                   city_name, granted, user or system_user())
        if as_json:
            emit_json(result)
            return
        click.echo(_grant_text(result) + ("" if result["changed"] or granted is None else "(未改变)"))
    command.__doc__ = f"""{summary}

    \b
    示例:
      {example}
    """
    command = click.pass_context(json_option(command))
    if granted is not None:
        command = click.option("--user", default=None, metavar="名字",
                               help="操作人(默认:当前系统用户),记入该市的操作记录")(command)
    command = click.option("--city", "city_name", default=None, metavar="城市",
                           help="省级部署中的城市(在城市的文件夹中运行时可省略)")(command)
    province_group.command(name=name)(command)


_grant_command(True, "grant", "城市授权省级账号代本市审核(确认、排除、指定),记入该市的操作记录。",
               "yingjian province grant --city 兴义市 --user 兴义市双拥办张三")
_grant_command(False, "revoke", "城市收回省级账号代为审核的授权,记入该市的操作记录。",
               "yingjian province revoke --city 兴义市")
_grant_command(None, "grants", "查看城市是否授权省级账号代为审核。", "yingjian province grants --city 兴义市")


def _decide_command(action: str, verb: str):
    @click.argument("material")
    @click.argument("files", nargs=-1, required=True)
    @click.option("--city", "city_name", required=True, metavar="城市", help="替哪个城市作决定")
    @click.option("--user", required=True, metavar="名字", help="省级账号(yingjian user add 名字 --province)")
    @json_option
    @click.pass_context
    def command(ctx, material, files, city_name, user, as_json):
        result = prov.province_decide(ctx.find_root().obj["province"], city_name, list(files), material,
                                      action, user)
        if as_json:
            emit_json(result)
            return
        click.echo(f"已在{result['city']}{verb} {len(result['files'])} 个文件 → {result['material']}"
                   f"(操作人 {result['user']})")
    command.__doc__ = f"""省级账号替已授权的城市{verb}文件(该市须先运行 yingjian province grant)。

    MATERIAL 是材料编号,FILES 是该市的文件编号(至少 6 位)。决定记入该市的决定和操作记录,计入该市的检查。

    \b
    示例:
      yingjian province {action} 1.1a 3f9a1c --city 兴义市 --user 省厅王五
    """
    province_group.command(name=action)(command)


for _action, _verb in (("confirm", "确认"), ("reject", "排除"), ("assign", "指定")):
    _decide_command(_action, _verb)


@cli.group(name="city")
def city():
    """省级部署中的城市:添加、列出、导出为单机版、导入。

    \b
    示例:
      yingjian city add 兴义市 --inbox //fileserver/兴义市
      yingjian city list
    之后各命令加 --city 城市名 即作用于这个城市,如 yingjian --city 兴义市 check。
    """


@city.command(name="add")
@click.argument("name")
@click.option("--inbox", required=True, type=click.Path(file_okay=False), help="这个城市各单位上传资料的文件夹")
@click.option("--standard", type=click.Path(exists=True, dir_okay=False), default=None,
              help="这个城市的考评标准(默认:省级文件夹的标准)")
@json_option
@click.pass_context
def city_add(ctx, name, inbox, standard, as_json):
    """添加一个城市:它有自己的上传文件夹、单位、标准、账号、决定和索引,数据在数据库中自己的模式里。

    \b
    示例:
      yingjian city add 兴义市 --inbox //fileserver/兴义市
      yingjian city add 遵义市 --inbox /mnt/遵义市 --standard 新标准.yaml
    """
    row = _open(ctx).add_city(name, Path(inbox), Path(standard) if standard else None)
    if as_json:
        emit_json(row)
        return
    click.echo(f"已添加城市 {row['name']}(文件夹 {row['folder']})")
    click.echo(f"之后用 yingjian --city {row['name']} ingest / check / serve 等命令管理这个城市")


def _score(r: dict) -> str:
    return "—" if r["score"] is None else f"{r['score']:g}/{r['max_score']:g}"


@city.command(name="list")
@json_option
@click.pass_context
def city_list(ctx, as_json):
    """列出全部城市及其准备情况(各城市自己的变化写入的摘要,不重新检查)。

    \b
    示例:
      yingjian city list
      yingjian city list --json
    """
    p = _open(ctx)
    rows = p.cities()
    if as_json:
        emit_json({"province": p.name, "cities": rows})
        return
    if not rows:
        click.echo(f"{p.name}还没有城市。用 yingjian city add 城市名 --inbox 文件夹 添加。")
        return
    click.echo(f"{p.name}:{len(rows)} 个城市")
    for r in rows:
        click.echo(f"  {r['name']}  预计得分 {_score(r)}  否决项缺口 {r['veto_gaps']}  "
                   f"材料齐全 {r['complete'] or 0}/{r['materials'] or 0}  待审核 {r['pending'] or 0}  "
                   f"逾期 {r['overdue'] or 0}  最近上传 {r['last_upload'] or '无'}")


@city.command(name="export")
@click.argument("name")
@click.argument("out", type=click.Path(file_okay=False))
@json_option
@click.pass_context
def city_export(ctx, name, out, as_json):
    """把一个城市导出为单机版工作区(SQLite、归档文件、标准、决定、账号),单机版 yingjian 直接打开。

    \b
    示例:
      yingjian city export 兴义市 D:/兴义市迎检资料
    """
    result = _open(ctx).export_city(name, Path(out))
    if as_json:
        emit_json(result)
        return
    click.echo(f"已导出 {result['city']} 到 {result['folder']}:{result['rows']} 条记录、"
               f"{result['objects']} 个归档文件,逐表核对{'一致' if result['same'] else '不一致'}")


@city.command(name="import")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--name", default=None, metavar="城市名", help="城市名(默认:文件夹名)")
@json_option
@click.pass_context
def city_import(ctx, folder, name, as_json):
    """把一个单机版工作区(或导出的城市)作为城市导入省级部署。

    \b
    示例:
      yingjian city import D:/兴义市迎检资料 --name 兴义市
    """
    result = _open(ctx).import_city(Path(folder), name)
    if as_json:
        emit_json(result)
        return
    click.echo(f"已导入城市 {result['city']}:{result['rows']} 条记录、{result['objects']} 个归档文件")


@standard.command(name="push")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--cities", default=None, metavar="城市,城市", help="下发给这些城市(逗号分隔;默认:全部城市)")
@json_option
@click.pass_context
def standard_push(ctx, file, cities, as_json):
    """把考评标准下发给各城市;各城市已有项目的责任单位保持不变。

    \b
    示例:
      yingjian standard push 新标准.yaml
      yingjian standard push 新标准.yaml --cities 兴义市,遵义市
    """
    names = [c.strip() for c in cities.replace("，", ",").split(",") if c.strip()] if cities else None
    done = _open(ctx).push_standard(Path(file), names)
    if as_json:
        emit_json({"cities": done})
        return
    for d in done:
        click.echo(f"已下发到 {d['city']}(保留责任单位的项目 {d['items_kept_units']} 个)")
