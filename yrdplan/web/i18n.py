"""UI text in simplified Chinese (the default) and English."""

from __future__ import annotations

LANGUAGES = ("zh", "en")

MESSAGES: dict[str, tuple[str, str]] = {
    # key: (zh, en)
    "app.name": ("长三角一体化规划实施监测系统", "YRD Integration Plan Monitor"),
    "app.short": ("yrdplan", "yrdplan"),
    "nav.home": ("首页", "Home"),
    "nav.plans": ("规划", "Plans"),
    "nav.tasks": ("任务", "Tasks"),
    "nav.indicators": ("指标", "Indicators"),
    "nav.regions": ("地区", "Regions"),
    "nav.login": ("登录", "Log in"),
    "nav.logout": ("退出", "Log out"),
    "nav.language": ("English", "中文"),
    "login.title": ("登录", "Log in"),
    "login.username": ("用户名", "User name"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Log in"),
    "login.failed": ("用户名或密码不正确", "Wrong user name or password"),
    "login.throttled": ("登录失败次数过多，请稍后再试", "Too many failed log-ins; try again later"),
    "home.title": ("总览", "Overview"),
    "home.welcome": ("欢迎", "Welcome"),
    "home.public": (
        "未登录：仅显示已公开的信息。",
        "Not logged in: only published material is shown.",
    ),
    "home.counts": ("系统概况", "At a glance"),
    "count.regions": ("行政区划", "Regions"),
    "count.cities": ("城市", "Cities"),
    "count.counties": ("县级单位", "County-level units"),
    "count.groups": ("区域分组", "Region groups"),
    "count.plans": ("规划文件", "Plans"),
    "count.tasks": ("任务", "Tasks"),
    "count.indicators": ("指标", "Indicators"),
    "count.users": ("用户", "Users"),
    "regions.title": ("长三角41城", "The 41 cities of the YRD"),
    "regions.map": ("城市分布图", "Map of the cities"),
    "regions.groups": ("区域分组", "Region groups"),
    "regions.code": ("行政区划代码", "Code"),
    "regions.name": ("名称", "Name"),
    "regions.province": ("所属省份", "Province"),
    "regions.area": ("面积（平方公里）", "Area (km²)"),
    "regions.members": ("成员", "Members"),
    "regions.counties": ("县级单位", "County-level units"),
    "regions.source": ("数据来源", "Source"),
    "role": ("角色", "Role"),
    "json": ("JSON", "JSON"),
    "error.title": ("出错了", "Something went wrong"),
    "error.forbidden": ("无权访问", "Not allowed"),
    "error.not_found": ("未找到", "Not found"),
    "error.login_required": ("请先登录", "Please log in"),
    "demo.label": ("演示数据", "Demo data"),
}


def translate(key: str, language: str) -> str:
    """The text for ``key``; the key itself when missing, so a gap shows instead of breaking."""
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    return pair[1] if language == "en" else pair[0]
