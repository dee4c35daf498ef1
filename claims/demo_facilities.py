"""The demo school's designated facilities (claims.demo): the campus clinic, community
health centres and hospitals of levels 1–3 in the school's city, a few out of the city
(sjtu rules art. 36: designated where the student registered) and one not designated.
Made by name, so seeding again adds none."""

from .models import Facility

DISTRICTS = {
    "shanghai": ["徐汇", "闵行", "长宁", "静安", "黄浦", "杨浦", "浦东新", "普陀", "虹口"],
    "wuhan": ["武昌", "洪山", "江汉", "江岸", "硚口", "汉阳", "青山", "东西湖", "江夏"],
}
STREETS = ["枫林", "华泾", "虹桥", "江宁", "南京东路", "五角场"]
LEVEL_2 = ["中心医院", "中医医院", "妇幼保健院", "第二人民医院", "光华医院", "眼耳鼻喉医院"]
LEVEL_3 = ["第一人民医院", "第六人民医院", "第十人民医院", "中医药大学附属医院", "肿瘤医院"]
LEVEL_3 += ["儿童医学中心", "精神卫生中心", "胸科医院", "医科大学附属中心医院"]
ELSEWHERE = [("北京", "北京市第三人民医院", "3"), ("杭州", "杭州市中心医院", "3")]
ELSEWHERE += [("成都", "成都市第五人民医院", "2")]
CAMPUS = "示范大学校医院"
NOT_DESIGNATED = "示范大学附近民营口腔诊所"


def demo_facilities(region: str, *, city: str) -> dict[str, list[Facility]]:
    """A few dozen facilities of the school's city by level, and a few elsewhere."""
    districts = DISTRICTS.get(region, ["东", "西", "南", "北", "中", "新"])
    wanted = [(CAMPUS, "campus", city, True), (f"{CAMPUS}第二门诊部", "campus", city, True)]
    wanted += [
        (f"{city}市{districts[i]}区{STREETS[i]}街道社区卫生服务中心", "community", city, True)
        for i in range(6)
    ]
    wanted += [(f"{city}市{d}区地段医院", "1", city, True) for d in districts[:5]]
    wanted += [
        (f"{city}市{districts[i % len(districts)]}区{name}", "2", city, True)
        for i, name in enumerate(LEVEL_2 + LEVEL_2[:2])
    ]
    wanted += [(f"{city}市{name}", "3", city, True) for name in LEVEL_3]
    wanted += [(name, level, where, True) for where, name, level in ELSEWHERE]
    wanted.append((NOT_DESIGNATED, "1", city, False))
    by_level: dict[str, list[Facility]] = {}
    for name, level, where, designated in wanted:
        facility, _ = Facility.objects.get_or_create(
            name=name, defaults={"level": level, "city": where, "designated": designated}
        )
        key = "elsewhere" if where != city else level
        by_level.setdefault(key, []).append(facility)
    return by_level
