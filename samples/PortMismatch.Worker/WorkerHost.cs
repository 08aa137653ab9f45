using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PortMismatch.Detection;

namespace PortMismatch.Worker;

/// <summary>
/// How a SIEM embeds the detection through DI: the options come from the <c>PortMismatch</c> section of appsettings.json
/// (or environment variables, command-line <c>--PortMismatch:Window=00:10:00</c>), an IPFIX collector and optionally a
/// PAN-OS syslog collector are the sources, and the rows go to a JSON Lines file as windows close.
/// </summary>
internal static class WorkerHost
{
    /// <param name="args">The command line.</param>
    /// <param name="configureServices">For tests: changes the services last (another sink, a log provider).</param>
    public static IHost Build(string[] args, Action<IServiceCollection>? configureServices = null)
    {
        var builder = Host.CreateApplicationBuilder(args);
        var section = builder.Configuration.GetSection("PortMismatch");

        var detection = builder.Services.AddPortMismatchDetection(section.Bind);
        detection.AddIpfix(section.GetSection("Ipfix").Bind);
        if (section.GetValue<string?>("PanOs:ListenEndPoint") is not null)
        {
            detection.AddPanOs(section.GetSection("PanOs").Bind);
        }

        var output = section.GetValue<string?>("Output") ?? "findings.jsonl";
        builder.Services.AddSingleton<IMismatchRowSink>(_ => new JsonLinesFileSink(output));
        builder.Services.AddHostedService<DetectionWorker>();
        configureServices?.Invoke(builder.Services);
        return builder.Build();
    }
}
