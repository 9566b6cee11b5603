"""Output protocols: one adapter per protocol, and the record serialisers they share.

Serialisers (`iso19139`, `geojson`, `dcat`) are pure functions over `moisson.record.Record`:
no Flask, no store, no clock. Protocol adapters (`ogcapi_records`, `dcat_endpoint`) meet
`publish.base.OutputProtocol`: they parse requests into the neutral `Query`, run them through
the app's search state, write their own format and render their own errors.
"""
