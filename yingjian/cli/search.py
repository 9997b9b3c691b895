"""`yingjian search`: Chinese full-text search from the command line. The words are taken as
typed: any number of them, `-词`, `OR` and `NOT` included, without quotes; only the options this
command knows are read as options (`--` ends them)."""
from __future__ import annotations

import difflib
import re

import click

from ..text import KIND_LABELS
from .base import Command, Fail, cli, emit_json, json_option, open_workspace, parse_day, parse_kind, parse_year


class WordsCommand(Command):
    """Unknown options are words (-草稿 excludes 草稿), except a mistyped long option such as
    --unti before any `--`: that is an error naming the option meant, never a search word."""

    def parse_args(self, ctx, args):
        known = {o for p in self.get_params(ctx) for o in [*p.opts, *p.secondary_opts]}
        for a in args:
            if a == "--":
                break
            name = a.split("=", 1)[0]
            if re.fullmatch(r"--[A-Za-z][\w-]*", name) and name not in known:
                raise click.NoSuchOption(
                    name, possibilities=difflib.get_close_matches(name, sorted(known)), ctx=ctx)
        return super().parse_args(ctx, args)


@cli.command(cls=WordsCommand, context_settings={"ignore_unknown_options": True})
@click.argument("words", nargs=-1, type=click.UNPROCESSED, metavar="搜索词...")
@click.option("--unit", metavar="单位", help="只搜索这个单位的文件")
@click.option("--item", metavar="编号", help="只搜索对应这个材料(或只有一项材料的考评项目)的文件,如 10.2a")
@click.option("--kind", metavar="类型", help="文件类型:文档、照片、台账、视频、其他(也可写 document、photo…)")
@click.option("--year", metavar="年份", help="证据日期所在年份,如 2021")
@click.option("--from", "date_from", metavar="日期",
              help="证据日期不早于(2022-01-01、2022/1/1、2022年1月1日、20220101;2022 为整年,2022-03 为整月)")
@click.option("--to", "date_to", metavar="日期", help="证据日期不晚于(写法同 --from)")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True,
              help="最多显示多少条")
@json_option
@click.pass_context
def search(ctx, words, unit, item, kind, year, date_from, date_to, limit, as_json):
    """全文搜索归档中的文件(中文逐字匹配,人名地名也能找到)。

    直接输入要找的词,不必加引号:多个词表示同时包含;可用 OR(或者)、NOT 或 -词(排除)、
    "引号中的短语"。词以 - 开头又不想排除时,写在 -- 之后。

    \b
    示例:
      yingjian search 烈士陵园
      yingjian search 八一 征兵
      yingjian search 征兵 OR 兵员 -草稿 --json
      yingjian search 走访慰问 --unit 双拥办 --year 2022
      yingjian search 征兵 --from 2022/1/1 --to 2022年12月31日
      yingjian search 慰问 --kind 照片 --item 2.4b
    """
    query = " ".join(w for w in words if w.strip())
    if not query:
        raise Fail("query_empty")
    ws = open_workspace(ctx, current=True)
    unit = ws.resolve_unit(unit) if unit is not None else None
    item = ws.resolve_item(item) if item is not None else None
    kind = parse_kind(kind) if kind is not None else None
    year = parse_year(year) if year is not None else None
    start = parse_day(date_from) if date_from is not None else None
    end = parse_day(date_to, end=True) if date_to is not None else None
    if start and end and start > end:
        raise Fail("date_range_reversed", start=start, end=end)
    res = ws.search(query, unit=unit, kind=kind, year=year, item=item,
                    date_from=start, date_to=end, limit=limit)
    if as_json:
        emit_json(res.to_json())
        return
    if not res.hits:
        click.echo(f"没有找到包含「{query}」的文件。")
        return
    click.echo(f"找到{' 约' if res.estimated else ''} {res.total} 个文件"
               + (f",显示前 {len(res.hits)} 个" if res.total > len(res.hits) else ""))
    for h in res.hits:
        click.echo(f"\n{h.id[:8]}  {h.path}  [{KIND_LABELS.get(h.kind, h.kind)} {h.date or '日期不详'}]")
        click.echo(f"  {h.snippet}")
    units = "、".join(f"{k} {v}" for k, v in sorted(res.facets.get("unit", {}).items(),
                                                    key=lambda kv: -kv[1]))
    click.echo(f"\n按单位:{units}")
