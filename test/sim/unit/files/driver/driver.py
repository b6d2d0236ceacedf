import json

from magnum_capi_helm import conf

CONF = conf.CONF

# 1.4.0 parses api_resources at import time, so bad JSON stops the driver loading.
API_RESOURCES = json.loads(CONF.capi_helm.api_resources) if "@VERSION@" != "1.3.0" else None


class Driver(object):
    version = "@VERSION@"

    @property
    def provides(self):
        return [{"server_type": "vm", "os": "ubuntu", "coe": "kubernetes"}]
