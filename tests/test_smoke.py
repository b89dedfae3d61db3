from tests.conftest import Run


def test_place_pick_partial_qc_release_on(wms: Run, check) -> None:
    wms("warehouse", "add", "MAIN")
    wms("product", "add", "A-1")
    wms("stock", "receive", "--warehouse", "MAIN", "--sku", "A-1", "--qty", "5")
    wms("settings", "set", "inventory.release_backorder_commitments", "true")
    wms("order", "place", "O1", "--warehouse", "MAIN", "--line", "A-1=8")
    wms("order", "pick", "O1", "--line", "A-1=5")
    wms("order", "qc", "O1", "--line", "A-1=5", "--confirm-partial")

    stock = wms("stock", "show", "--format", "json").stdout
    assert '"committed": 0' in stock
    check()
