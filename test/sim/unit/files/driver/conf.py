from oslo_config import cfg

CONF = cfg.CONF

capi_helm_opts = [
    cfg.StrOpt("kubeconfig_file", default="", help="Path to the management cluster kubeconfig."),
    cfg.StrOpt(
        "helm_chart_repo",
        default="https://azimuth-cloud.github.io/capi-helm-charts",
        help="Helm chart repository of the cluster chart.",
    ),
    cfg.StrOpt("helm_chart_name", default="openstack-cluster", help="Name of the cluster chart."),
    cfg.StrOpt("default_helm_chart_version", default="0.10.1", help="Default chart version."),
    cfg.StrOpt("namespace_prefix", default="magnum", help="Prefix of the per-project namespace."),
    cfg.StrOpt("app_cred_interface_type", default="public", help="Keystone interface for app creds."),
]

if "@VERSION@" != "1.3.0":
    capi_helm_opts.append(
        cfg.StrOpt(
            "api_resources",
            default="{}",
            help='JSON map of CAPI kinds to api versions, e.g. {"Cluster": {"api_version": '
            '"cluster.x-k8s.io/v1beta1",},}',
        )
    )

CONF.register_opts(capi_helm_opts, group="capi_helm")
