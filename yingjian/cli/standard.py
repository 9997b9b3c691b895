"""`yingjian standard`: check a standard file, import the published Excel table, a blank template."""
from __future__ import annotations

from pathlib import Path

import click

from ..workspace import Workspace
from .base import Fail, cli
from checklist import load
from checklist import dump
from checklist.xlsx import _period_from, import_xlsx
from checklist.xlsx import template

@cli.group()
def standard():
    """考评标准:检查标准文件、从 Excel 考评表导入、生成空白模板。

    \b
    示例:
      yingjian standard check
      yingjian standard import 考评标准.xlsx -o standard.yaml
      yingjian standard template --xlsx 考评标准模板.xlsx
    """


@standard.command(name="check")
@click.argument("file", required=False, type=click.Path(dir_okay=False, exists=True))
@click.pass_context
def standard_check(ctx, file):
    """检查考评标准文件(YAML 或 Excel),列出所有错误及所在行;不给文件时检查工作区正在使用的标准。

    \b
    示例:
      yingjian standard check
      yingjian standard check 新标准.yaml
    """
    path = Path(file) if file else Workspace.open(ctx.parent.obj["workspace"]).config.standard
    std = load(path)
    items = list(std.walk())
    leaves = [i for i in items if not i.children]
    click.echo(f"{std.title}:考评周期 {std.start} 至 {std.end}")
    click.echo(f"一级项目 {len(std.items)} 个,考评内容 {len(leaves)} 条,材料 {len(std.materials())} 项,"
               f"总分 {sum(i.points for i in std.items if not i.bonus):g}"
               f",一票否决 {sum(1 for i in leaves if i.veto)} 条,加分 {sum(1 for i in leaves if i.bonus)} 条")
    without = [m.id for m in std.materials().values() if not m.query]
    if without:
        click.echo(f"提示:{len(without)} 项材料没有检索条件 query,只能靠文件夹编号或人工指定:"
                   + "、".join(without[:20]) + ("…" if len(without) > 20 else ""))
    click.echo("检查通过")


@standard.command(name="import")
@click.argument("xlsx", type=click.Path(dir_okay=False, exists=True))
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="写入的 YAML 文件(默认与 Excel 同名)")
@click.option("--period", default=None, metavar="2020-2023", help="考评周期(标题中没有写明时)")
def standard_import(xlsx, output, period):
    """把 Excel 考评表(考评项目 | 序号 | 考评内容 | 分值 | 评分标准 | 责任单位)转为标准文件。

    一级项目可以是合并单元格;可选列“佐证材料”“材料类型”“检索词”细化每项材料。
    生成的 YAML 可以直接编辑,再用 yingjian init --standard 或替换工作区的 standard.yaml 使用。

    \b
    示例:
      yingjian standard import 2024年考评标准.xlsx -o standard.yaml --period 2020-2023
    """
    span = None
    if period:
        span = _period_from(period)
        if span is None:
            raise Fail("period_invalid", value=period)
    std = import_xlsx(Path(xlsx), span)
    out = Path(output) if output else Path(xlsx).with_suffix(".yaml")
    out.write_text(dump(std), encoding="utf-8")
    click.echo(f"已导入 {len(list(std.walk()))} 个考评项目、{len(std.materials())} 项材料 → {out}")


@standard.command(name="template")
@click.option("--xlsx", "xlsx", required=True, type=click.Path(dir_okay=False),
              help="写入的 Excel 文件")
def standard_template(xlsx):
    """生成空白的 Excel 考评表模板(含示例行和填写说明),分发给各单位或用于整理本省标准。

    \b
    示例:
      yingjian standard template --xlsx 考评标准模板.xlsx
    """
    click.echo(f"已生成模板:{template(Path(xlsx))}")
