using Microsoft.Extensions.Hosting;
using PortMismatch.Worker;

await WorkerHost.Build(args).RunAsync().ConfigureAwait(false);
