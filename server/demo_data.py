"""The fixed part of the demo: warehouses, suppliers, customers, users and 50 curated products.

Codes are ASCII (they are printed as barcodes and typed on scanners); names are Chinese, as a
Chinese distributor's master data would be. Brands are invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from server.auth import Role


@dataclass(frozen=True, slots=True)
class DemoWarehouse:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class DemoSupplier:
    code: str
    name: str
    contact_name: str
    contact_phone: str
    contact_email: str
    tolerance_pct: Decimal
    lead_time_days: int
    categories: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DemoCustomer:
    code: str
    name: str
    region: str


@dataclass(frozen=True, slots=True)
class DemoUser:
    username: str
    display_name: str
    role: Role
    supplier_code: str | None = None


@dataclass(frozen=True, slots=True)
class CuratedProduct:
    name: str
    category: str
    unit: str
    list_price: Decimal
    qc_required: bool = False
    sold_by_case: bool = False


WAREHOUSES = (
    DemoWarehouse("SH", "上海中心仓"),
    DemoWarehouse("GZ", "广州华南仓"),
    DemoWarehouse("BJ", "北京华北仓"),
)

# Storage bins per warehouse: aisles A and B, ten bins each (SH-A-01 ... SH-B-10).
STORAGE_AISLES = ("A", "B")
BINS_PER_AISLE = 10

BEVERAGES = "饮料"
SNACKS = "休闲零食"
PANTRY = "粮油调味"
HOUSEHOLD = "日化清洁"
PERSONAL_CARE = "个人护理"
OFFICE = "办公文具"

SKU_PREFIX = {
    BEVERAGES: "BEV",
    SNACKS: "SNK",
    PANTRY: "GRN",
    HOUSEHOLD: "HHD",
    PERSONAL_CARE: "PCR",
    OFFICE: "OFF",
}

# The second source for every other product: dearer, but quick.
DISTRIBUTOR_CODE = "TSDIST"

SUPPLIERS = (
    DemoSupplier("HXFOOD", "华鑫食品有限公司", "周建国", "021-58761234", "sales@hxfood.example.cn",
                 Decimal(5), 5, (BEVERAGES, SNACKS)),
    DemoSupplier("LYGRAIN", "粮源粮油贸易有限公司", "孙丽华", "0451-86543210",
                 "order@lygrain.example.cn", Decimal(2), 7, (PANTRY,)),
    DemoSupplier("JJDAILY", "洁佳日化用品有限公司", "吴海涛", "020-38224567",
                 "service@jjdaily.example.cn", Decimal(0), 10, (HOUSEHOLD, PERSONAL_CARE)),
    DemoSupplier("MGSTAT", "明光文具制造厂", "郑晓东", "0574-87651122", "b2b@mgstat.example.cn",
                 Decimal(3), 14, (OFFICE,)),
    DemoSupplier(DISTRIBUTOR_CODE, "通顺商贸批发有限公司", "冯志强", "010-64789900",
                 "trade@tsdist.example.cn", Decimal(10), 3, ()),
)

EAST, SOUTH, NORTH, CENTRAL, SOUTHWEST = "华东", "华南", "华北", "华中", "西南"

CUSTOMERS = (
    DemoCustomer("C001", "上海联家超市有限公司", EAST),
    DemoCustomer("C002", "杭州优选便利连锁", EAST),
    DemoCustomer("C003", "南京金陵生活超市", EAST),
    DemoCustomer("C004", "苏州园区鲜丰商行", EAST),
    DemoCustomer("C005", "宁波港城百货有限公司", EAST),
    DemoCustomer("C006", "广州天河万家便利店", SOUTH),
    DemoCustomer("C007", "深圳南山惠民超市", SOUTH),
    DemoCustomer("C008", "东莞塘厦日用品批发部", SOUTH),
    DemoCustomer("C009", "佛山禅城邻里商店", SOUTH),
    DemoCustomer("C010", "南宁青秀食品商行", SOUTH),
    DemoCustomer("C011", "北京朝阳便民超市", NORTH),
    DemoCustomer("C012", "天津滨海商贸有限公司", NORTH),
    DemoCustomer("C013", "石家庄裕华生活广场", NORTH),
    DemoCustomer("C014", "太原迎泽日用品批发", NORTH),
    DemoCustomer("C015", "武汉江汉百货商行", CENTRAL),
    DemoCustomer("C016", "长沙芙蓉好邻居超市", CENTRAL),
    DemoCustomer("C017", "郑州二七商贸城", CENTRAL),
    DemoCustomer("C018", "成都锦江惠购超市", SOUTHWEST),
    DemoCustomer("C019", "重庆渝中万佳便利", SOUTHWEST),
    DemoCustomer("C020", "昆明滇池食品批发", SOUTHWEST),
)

# Which sales rep looks after which regions.
SALES_REGIONS = {
    "sales1": (EAST, CENTRAL),
    "sales2": (SOUTH, NORTH, SOUTHWEST),
}

# Sales teams by code: name and members.
SALES_TEAMS = {
    "EAST": ("华东华中销售组", ("sales1",)),
    "SOUTH": ("华南华北西南销售组", ("sales2",)),
}

USERS = (
    DemoUser("admin", "系统管理员", Role.ADMIN),
    DemoUser("purchaser", "李娜（采购员）", Role.PURCHASER),
    DemoUser("purchase_manager", "王强（采购经理）", Role.PURCHASE_MANAGER),
    DemoUser("finance_director", "赵敏（财务总监）", Role.FINANCE_DIRECTOR),
    DemoUser("warehouse", "陈刚（仓管员）", Role.WAREHOUSE),
    DemoUser("qc", "刘洋（质检员）", Role.QC),
    DemoUser("sales1", "张伟（销售·华东华中）", Role.SALES),
    DemoUser("sales2", "黄丽（销售·华南华北西南）", Role.SALES),
    DemoUser("supplier1", "周建国（华鑫食品）", Role.SUPPLIER, "HXFOOD"),
    DemoUser("supplier2", "吴海涛（洁佳日化）", Role.SUPPLIER, "JJDAILY"),
)


def _p(name: str, category: str, unit: str, price: str, *, qc: bool = False,
       case: bool = False) -> CuratedProduct:
    return CuratedProduct(name, category, unit, Decimal(price), qc, case)


CURATED_PRODUCTS = (
    _p("清泉天然矿泉水 550ml", BEVERAGES, "bottle", "2.00", case=True),
    _p("清泉饮用纯净水 1.5L", BEVERAGES, "bottle", "3.50", case=True),
    _p("山野无糖绿茶 500ml", BEVERAGES, "bottle", "4.50", case=True),
    _p("山野冰红茶 500ml", BEVERAGES, "bottle", "3.50", case=True),
    _p("果园100%橙汁 1L", BEVERAGES, "box", "12.90", case=True),
    _p("青柠苏打气泡水 330ml", BEVERAGES, "can", "5.00", case=True),
    _p("原味豆奶 250ml", BEVERAGES, "box", "3.00", case=True),
    _p("牧场全脂纯牛奶 250ml", BEVERAGES, "box", "4.20", qc=True, case=True),
    _p("挂耳黑咖啡 10g×10包", BEVERAGES, "box", "39.00"),
    _p("三合一速溶咖啡 30条", BEVERAGES, "box", "45.00"),
    _p("脆乡原味薯片 70g", SNACKS, "bag", "7.50", case=True),
    _p("麦香苏打饼干 400g", SNACKS, "bag", "12.90"),
    _p("每日混合坚果 25g×7", SNACKS, "box", "39.90", qc=True),
    _p("草原风干牛肉干 100g", SNACKS, "bag", "29.90", qc=True),
    _p("可可70%黑巧克力 100g", SNACKS, "pcs", "15.90", case=True),
    _p("奶油蛋卷 200g", SNACKS, "box", "16.80"),
    _p("海苔脆片 40g", SNACKS, "bag", "9.90", case=True),
    _p("手撕老式面包 400g", SNACKS, "bag", "11.50", qc=True),
    _p("五常稻花香大米 5kg", PANTRY, "bag", "59.90", qc=True),
    _p("泰国茉莉香米 10kg", PANTRY, "bag", "109.00", qc=True),
    _p("高筋小麦面粉 5kg", PANTRY, "bag", "35.90"),
    _p("一级大豆油 5L", PANTRY, "bottle", "69.90"),
    _p("压榨花生油 5L", PANTRY, "bottle", "119.00", qc=True),
    _p("特级酿造酱油 500ml", PANTRY, "bottle", "8.90", case=True),
    _p("山西老陈醋 500ml", PANTRY, "bottle", "7.50", case=True),
    _p("鸡蛋挂面 1kg", PANTRY, "bag", "9.90", case=True),
    _p("精制食用盐 400g", PANTRY, "bag", "2.50", case=True),
    _p("优级白砂糖 1kg", PANTRY, "bag", "8.90"),
    _p("洁净深层洗衣液 3kg", HOUSEHOLD, "bottle", "39.90"),
    _p("柠檬洗洁精 1.5kg", HOUSEHOLD, "bottle", "15.90", case=True),
    _p("三层抽纸 100抽×6包", HOUSEHOLD, "pack", "19.90"),
    _p("四层卷纸 10卷", HOUSEHOLD, "pack", "29.90"),
    _p("加厚垃圾袋 45×50cm 100只", HOUSEHOLD, "pack", "12.90", case=True),
    _p("84消毒液 1.2kg", HOUSEHOLD, "bottle", "14.50", qc=True),
    _p("厨房去油湿巾 80片", HOUSEHOLD, "pack", "9.90", case=True),
    _p("食品级保鲜膜 30cm×100m", HOUSEHOLD, "roll", "16.90"),
    _p("清新薄荷牙膏 120g", PERSONAL_CARE, "tube", "12.90", case=True),
    _p("软毛护龈牙刷", PERSONAL_CARE, "pcs", "9.90", case=True),
    _p("去屑洗发水 750ml", PERSONAL_CARE, "bottle", "59.00"),
    _p("樱花沐浴露 1L", PERSONAL_CARE, "bottle", "45.00"),
    _p("抑菌洗手液 500ml", PERSONAL_CARE, "bottle", "18.90", case=True),
    _p("一次性医用口罩 50只", PERSONAL_CARE, "box", "29.90", qc=True),
    _p("甘油护手霜 50g", PERSONAL_CARE, "tube", "25.00"),
    _p("A4复印纸 70g 500张", OFFICE, "ream", "26.00"),
    _p("中性笔 0.5mm 黑色", OFFICE, "pcs", "2.00", case=True),
    _p("B5软抄笔记本 60页", OFFICE, "pcs", "6.50", case=True),
    _p("省力订书机 20页", OFFICE, "pcs", "18.00"),
    _p("便利贴 76×76mm 100张", OFFICE, "pcs", "5.50", case=True),
    _p("A4双强力文件夹", OFFICE, "pcs", "4.80", case=True),
    _p("5号碱性电池 4粒装", OFFICE, "pack", "16.90", case=True),
)

# Beyond the curated 50, products are variants of them (the demo's --products N).
VARIANTS = ("家庭装", "便携装", "促销装", "组合装", "新品", "升级款", "经典款", "量贩装",
            "礼盒装", "限定款", "轻享装", "加量装")
