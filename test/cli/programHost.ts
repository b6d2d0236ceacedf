import * as grpc from "@grpc/grpc-js";
import * as fs from "fs";
import * as path from "path";

// Stand-in for the pulumi-language-nodejs plugin, which the Go module proxy here refuses to serve:
// the SDK's own language server (the one the Automation API uses for inline programs) runs the
// built program (build/index.js) for ONE `pulumi <op> --client=127.0.0.1:<port>` and prints the
// port. The CLI and its engine are the real ones; a fresh host per operation, as the real
// language host starts a fresh node per run.

const { LanguageServer } = require("@pulumi/pulumi/automation/server") as {
  LanguageServer: new (program: () => Promise<unknown>) => grpc.UntypedServiceImplementation;
};
const { LanguageRuntimeService } = require("@pulumi/pulumi/proto/language_grpc_pb") as {
  LanguageRuntimeService: grpc.ServiceDefinition;
};
const { grpcChannelOptions } = require("@pulumi/pulumi/runtime/settings") as {
  grpcChannelOptions: grpc.ChannelOptions;
};

// GRAFT_HOST_TIMING=<file>: the benchmark's split of a run (test/bench/preview.ts), a JSON line per run.
const timing = process.env.GRAFT_HOST_TIMING;

const program = async () => {
  const started = Date.now();
  const main = require(path.resolve(__dirname, "../../index.js")) as () => Promise<Record<string, unknown>>;
  const loaded = Date.now();
  const outputs = await main();
  if (timing)
    fs.appendFileSync(
      timing,
      `${JSON.stringify({ loadMs: loaded - started, runMs: Date.now() - loaded })}\n`,
    );
  return outputs;
};

const server = new grpc.Server(grpcChannelOptions);
server.addService(LanguageRuntimeService, new LanguageServer(program));
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) {
    console.error(err.message);
    process.exit(1);
  }
  console.log(port);
});
