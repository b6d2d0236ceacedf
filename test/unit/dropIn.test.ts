import { strict as assert } from "assert";
import { dropInContent } from "../../components/conductorConfig";

// The [capi_helm] drop-in holds what magnum-capi-helm 1.4.0 reads: it runs
// `helm upgrade <release> <helm_chart_name> ... [--repo <helm_chart_repo> when set] --version <v>`.

const API = '{"Cluster":{"api_version":"cluster.x-k8s.io/v1beta1"}}';

describe("the [capi_helm] drop-in", () => {
  it("names the repo and the chart for a chart repository", () => {
    assert.equal(
      dropInContent(
        {
          chartRepo: "https://azimuth-cloud.github.io/capi-helm-charts",
          chartName: "openstack-cluster",
          chartVersion: "0.25.1",
        },
        API,
      ),
      [
        "[capi_helm]",
        "kubeconfig_file = /etc/magnum/kubeconfig",
        "helm_chart_repo = https://azimuth-cloud.github.io/capi-helm-charts",
        "helm_chart_name = openstack-cluster",
        "default_helm_chart_version = 0.25.1",
        `api_resources = ${API}`,
        "",
      ].join("\n"),
    );
  });

  it("writes an OCI chart's repo as empty, so the driver's default repo does not become --repo", () => {
    const content = dropInContent(
      {
        chartRepo: "",
        chartName: "oci://registry.example:5000/capi/openstack-cluster",
        chartVersion: "0.25.1",
      },
      API,
    );
    const lines = content.split("\n");
    assert.ok(lines.includes("helm_chart_repo ="), content);
    assert.ok(
      lines.includes("helm_chart_name = oci://registry.example:5000/capi/openstack-cluster"),
      content,
    );
    assert.ok(lines.includes("default_helm_chart_version = 0.25.1"), content);
  });
});
