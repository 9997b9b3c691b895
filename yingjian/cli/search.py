"""`yingjian search`: Chinese full-text search from the command line."""
from __future__ import annotations

import click

from ..text import KIND_LABELS
from .base import cli, emit_json, json_option, open_workspace

@cli.command()
@click.argument("query")
@click.option("--unit", help="只搜索这个单位的文件")
@click.option("--item", help="只搜索对应这个考评项目或材料的文件")
@click.option("--kind", type=click.Choice(["document", "photo", "ledger", "video", "other"]),
              help="文件类型:document 文档、photo 照片、ledger 台账、video 视频、other 其他")
@click.option("--year", help="证据日期所在年份,如 2021")
@click.option("--from", "date_from", metavar="YYYY-MM-DD", help="证据日期不早于")
@click.option("--to", "date_to", metavar="YYYY-MM-DD", help="证据日期不晚于")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True,
              help="最多显示多少条")
@json_option
@click.pass_context
def search(ctx, query, unit, item, kind, year, date_from, date_to, limit, as_json):
    """全文搜索归档中的文件(中文逐字匹配,人名地名也能找到)。

    多个词表示同时包含;可用 OR、NOT(或 -词)和 "引号中的短语"。

    \b
    示例:
      yingjian search 烈士陵园
      yingjian search "走访慰问" --unit 双拥办 --year 2022
      yingjian search 征兵 OR 兵员 -草稿 --json
    """
    ws = open_workspace(ctx)
    ws.sync_index()
    res = ws.index.search(query, unit=unit, kind=kind, year=year, item=item,
                          date_from=date_from, date_to=date_to, limit=limit, text_of=ws.text_of)
    if as_json:
        emit_json(res.to_json())
        return
    if not res.hits:
        click.echo(f"没有找到包含「{query}」的文件。")
        return
    click.echo(f"找到{' 约' if res.estimated else ''} {res.total} 个文件"
               + (f",显示前 {len(res.hits)} 个" if res.total > len(res.hits) else ""))
    for h in res.hits:
        click.echo(f"\n{h.path}  [{KIND_LABELS.get(h.kind, h.kind)} {h.date or '日期不详'}]")
        click.echo(f"  {h.snippet}")
    units = "、".join(f"{k} {v}" for k, v in sorted(res.facets.get("unit", {}).items(),
                                                    key=lambda kv: -kv[1]))
    click.echo(f"\n按单位:{units}")
