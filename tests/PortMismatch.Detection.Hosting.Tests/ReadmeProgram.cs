using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace PortMismatch.Detection.Hosting.Tests;

/// <summary>
/// The package README's <c>Program.cs</c>, compiled here so that it cannot drift from the API (it is not run: it listens
/// on 0.0.0.0:4739). <see cref="ReadmeTests"/> checks that the README holds this text.
/// </summary>
internal static class ReadmeProgram
{
    public static async Task RunAsync(string[] args)
    {
        // --- begin README program ---
        var builder = Host.CreateApplicationBuilder(args);

        // The ESCU rules and one of our own: SSH anywhere but on 22.
        var rules = new RuleSet([.. RuleSet.Escu, new DetectionRule("ssh-off-22", "SSH off 22", ["ssh"], PortSet.Parse("22"))]);

        builder.Services.AddSingleton<IMismatchRowSink>(_ => new FindingsFile("findings.jsonl"));
        builder.Services.AddPortMismatchDetection(o => o.Window = TimeSpan.FromMinutes(5))
            .UseRules(rules)                                           // instead of o.Rules = "escu,/etc/rules.json"
            .AddIpfix(o => o.ListenEndPoint = "0.0.0.0:4739")          // PortMismatch.Detection.Ipfix
            .AddHostedDetection();                                     // PortMismatch.Detection.Hosting

        await builder.Build().RunAsync();
        // --- end README program ---
    }
}

// --- begin README sink ---
/// <summary>Appends each row to a JSON Lines file and flushes it, so that a log shipper sees it at once.</summary>
sealed class FindingsFile(string path) : IMismatchRowSink, IDisposable
{
    private readonly JsonLinesRowWriter _writer = new(
        new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read), new RowWriterOptions { IncludeWindow = true });

    public void OnRow(MismatchRow row)
    {
        _writer.OnRow(row);
        _writer.Flush();
    }

    // Called once when the run ends (the host stopping), after the open windows' rows.
    public ValueTask OnCompletedAsync(DetectionCounters counters)
    {
        Console.Error.WriteLine($"findings: {counters}");
        return ValueTask.CompletedTask;
    }

    public void Dispose() => _writer.Dispose();
}
// --- end README sink ---
