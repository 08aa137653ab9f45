using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PortMismatch.Detection;

namespace PortMismatch.Worker;

/// <summary>
/// How a SIEM embeds the detection through DI: the options come from the <c>PortMismatch</c> section of appsettings.json
/// (or environment variables, command-line <c>--PortMismatch:Window=00:10:00</c>), an IPFIX collector and optionally a
/// PAN-OS syslog collector are the sources, the rows go to a JSON Lines file as windows close, and
/// <c>AddHostedDetection</c> (PortMismatch.Detection.Hosting) runs it from host start to host stop.
/// </summary>
internal static class WorkerHost
{
    /// <summary>The keys of the <c>PortMismatch</c> section that are not detection options.</summary>
    private static readonly string[] SampleKeys = ["Output", "Ipfix", "PanOs"];

    /// <param name="args">The command line.</param>
    /// <param name="configureServices">For tests: changes the services last (another sink, a log provider).</param>
    public static IHost Build(string[] args, Action<IServiceCollection>? configureServices = null)
    {
        var builder = Host.CreateApplicationBuilder(args);
        var section = builder.Configuration.GetSection("PortMismatch");

        // A misspelt key (Widnow) is an error, not a silently ignored setting.
        var detection = builder.Services.AddPortMismatchDetection(o =>
        {
            CheckKeys(section, typeof(PortMismatchDetectionOptions), SampleKeys);
            section.Bind(o);
        });
        detection.AddIpfix(o => section.GetSection("Ipfix").Bind(o, b => b.ErrorOnUnknownConfiguration = true)).AddHostedDetection();
        if (section.GetValue<string?>("PanOs:ListenEndPoint") is not null || section.GetValue<string?>("PanOs:TcpListenEndPoint") is not null || section.GetValue<string?>("PanOs:TlsListenEndPoint") is not null)
        {
            detection.AddPanOs(o => section.GetSection("PanOs").Bind(o, b => b.ErrorOnUnknownConfiguration = true));
        }

        var output = section.GetValue<string?>("Output") ?? "findings.jsonl";
        builder.Services.AddSingleton<IMismatchRowSink>(_ => new JsonLinesFileSink(output));

        // Program prints a failed start as one line; the host's own log of it would repeat it with a stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        configureServices?.Invoke(builder.Services);
        return builder.Build();
    }

    private static void CheckKeys(IConfigurationSection section, Type options, string[] more)
    {
        foreach (var child in section.GetChildren())
        {
            // Configuration keys are case-insensitive, as the binder reads them.
            if (options.GetProperty(child.Key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase) is null
                && !more.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(
                    $"Unknown setting '{child.Path}': {section.Path} takes {string.Join(", ", options.GetProperties().Select(p => p.Name).Concat(more))}.");
            }
        }
    }
}
