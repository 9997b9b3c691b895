"""Learning from the office's decisions: see what is learned, switch it on or off for the
workspace or for materials (yingjian.toml's [learning]), learn now."""
from __future__ import annotations

import click

from .. import config as cfg
from .base import cli, emit_json, json_option, open_workspace


@cli.group()
def learn():
    """根据双拥办的决定学习建议:已确认或指定的文件是某项材料的样例,排除的是反例;与样例相似、
    又没有按编号或内容对应这项材料的文件,列入待审核(“与已确认的 N 个文件相似”),确认后才计分。
    被排除过的文件不会再被建议给同一项材料。

    设置保存在 yingjian.toml 的 [learning] 中(enabled、off、min_similarity),也可直接编辑。
    学习在 yingjian watch 和 yingjian serve 运行时于后台进行,check、review 时也会先学习。

    \b
    示例:
      yingjian learn status           各项材料的样例数、反例数和学到的建议数
      yingjian learn off 2.4b         这项材料不再按相似度建议
      yingjian learn on 2.4b
      yingjian learn off              整个工作区不再学习
      yingjian learn run --rebuild    重新计算全部特征和建议
    """


@learn.command(name="status")
@json_option
@click.pass_context
def learn_status(ctx, as_json):
    """各项材料的学习情况:是否学习、样例(已确认或指定)数、反例(排除过)数、学到的建议数。

    \b
    示例:
      yingjian learn status
      yingjian learn status --json
    """
    ws = open_workspace(ctx)
    ws.learn(progress=_progress())
    s = ws.learning_settings()
    counts = ws.learning_counts()
    none = {"examples": 0, "counter_examples": 0, "suggestions": 0}
    rows = [{"material": mid, "title": m.title, "on": s.on(mid), **none, **counts.get(mid, {})}
            for mid, m in ws.standard.materials().items()]
    if as_json:
        emit_json({"enabled": s.enabled, "off": sorted(s.off), "min_similarity": s.min_similarity,
                   "materials": rows})
        return
    click.echo("学习:" + ("开启" if s.enabled else "已关闭(yingjian learn on 重新开启)")
               + f";相似度阈值 {s.min_similarity:g}")
    shown = [r for r in rows if r["examples"] or r["counter_examples"] or not r["on"]]
    for r in shown:
        state = "" if r["on"] else "(不学习)"
        click.echo(f"  {r['material']} {r['title']}{state}:样例 {r['examples']},反例 "
                   f"{r['counter_examples']},建议 {r['suggestions']}")
    if not shown:
        click.echo("  还没有已确认的文件可供学习:在待审核中确认文件,或用 yingjian assign 指定")


def _switch(ctx, materials: tuple[str, ...], on: bool) -> None:
    ws = open_workspace(ctx)
    s = ws.learning_settings()
    off = list(s.off)
    if not materials:
        enabled = on
        if on:
            off = []
    else:
        enabled = s.enabled
        for ref in materials:
            mid = ws.resolve_material(ref)
            if on and mid in off:
                off.remove(mid)
            elif not on and mid not in off:
                off.append(mid)
    cfg.write_learning(ws.config.root, enabled, sorted(off))
    if materials:
        click.echo(("已开启" if on else "已关闭") + "以下材料的学习:" + "、".join(materials))
        if on and not enabled:
            click.echo("注意:整个工作区的学习仍是关闭的(yingjian learn on 开启)")
    else:
        click.echo("已开启整个工作区的学习" if on else "已关闭整个工作区的学习(已学到的建议不再列出)")


@learn.command(name="on")
@click.argument("materials", nargs=-1, metavar="[MATERIAL]…")
@click.pass_context
def learn_on(ctx, materials):
    """开启学习:不给材料编号时开启整个工作区(并清除逐项关闭的设置),否则开启这些材料。

    \b
    示例:
      yingjian learn on
      yingjian learn on 2.4b 3.1a
    """
    _switch(ctx, materials, True)


@learn.command(name="off")
@click.argument("materials", nargs=-1, metavar="[MATERIAL]…")
@click.pass_context
def learn_off(ctx, materials):
    """关闭学习:不给材料编号时关闭整个工作区,否则只关闭这些材料。已学到的建议立即不再列出;
    双拥办的决定不受影响。

    \b
    示例:
      yingjian learn off
      yingjian learn off 2.4b
    """
    _switch(ctx, materials, False)


@learn.command(name="run")
@click.option("--rebuild", is_flag=True, help="丢弃已算好的特征和建议,全部重新计算")
@click.pass_context
def learn_run(ctx, rebuild):
    """立即学习:为新文件计算特征,按最新的决定重新计算建议(watch、serve 在后台自动进行)。

    \b
    示例:
      yingjian learn run
      yingjian learn run --rebuild
    """
    ws = open_workspace(ctx)
    n = ws.relearn(progress=_progress()) if rebuild else ws.learn_now(progress=_progress())
    click.echo(f"学习完成:按相似度建议 {n} 个文件(yingjian review 查看)")


def _progress():
    """Vectorising a large archive for the first time takes a while: say how far it is."""
    def show(done: int, total: int) -> None:
        if total >= 5000:
            click.echo(f"\r计算文件特征 {done}/{total}", nl=done >= total, err=True)
    return show
