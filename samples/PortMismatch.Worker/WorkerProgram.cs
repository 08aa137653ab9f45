using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace PortMismatch.Worker;

/// <summary>
/// The process: runs the host until it stops. A configuration error (a bad value, an unknown key, a rule file that does
/// not load, an endpoint in use) is one line on stderr and exit code 2, as the console tool's usage errors are.
/// </summary>
internal static class WorkerProgram
{
    /// <summary>The exit code of a configuration error and of a failed run, as the console tool's.</summary>
    public const int ErrorExitCode = 2;

    public static async Task<int> RunAsync(string[] args, TextWriter stderr)
    {
        try
        {
            using var host = WorkerHost.Build(args);
            await host.RunAsync().ConfigureAwait(false);
            return Environment.ExitCode;
        }
        catch (Exception e) when (e is OptionsValidationException or InvalidOperationException or SocketException or IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"portmismatch-worker: error: {OneLine(e)}").ConfigureAwait(false);
            return ErrorExitCode;
        }
    }

    /// <summary>The message and the inner messages that say more (the binder's "Failed to convert ... 'PortMismatch:Window'" then why).</summary>
    private static string OneLine(Exception e)
    {
        var text = e is OptionsValidationException validation ? string.Join("; ", validation.Failures) : e.Message;
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            text += " " + inner.Message;
        }

        return text.ReplaceLineEndings(" ");
    }
}
