using NATS.Client.Core;
using NATS.Client.JetStream;
using PortMismatch.Detection.Nats;

namespace PortMismatch.Cli;

/// <summary>
/// <c>portmismatch publish</c>: makes the flow stream when it is missing and publishes each file, one record-bearing
/// unit a message (<see cref="NatsFlowPublisher"/>). A file that cannot be published stops the run with exit code 2; the
/// files before it stay published, and a run again adds nothing twice.
/// </summary>
internal static class PublishCommand
{
    public static async Task<int> RunAsync(ScanOptions options, TextWriter stderr, CancellationToken cancellationToken)
    {
        foreach (var path in options.Paths)
        {
            if (!File.Exists(path))
            {
                await stderr.WriteLineAsync($"portmismatch: {path}: {(Directory.Exists(path) ? "a folder; publish takes files" : "no such file")}.").ConfigureAwait(false);
                return CommandLine.Failure;
            }
        }

        await using var connection = new NatsConnection(NatsOpts.Default with { Url = string.Join(',', options.NatsUrls), Name = "portmismatch publish" });
        var js = new NatsJSContext(connection);
        long published = 0;
        long duplicates = 0;
        var started = false;
        try
        {
            await NatsFlowStreams.EnsureAsync(js, options.NatsStream, replicas: options.Replicas, cancellationToken: cancellationToken).ConfigureAwait(false);
            started = true;
            var publisher = new NatsFlowPublisher(js, NatsPublishOptions.Default with { Partitions = options.Partitions, LinesPerMessage = options.LinesPerMessage });
            try
            {
                foreach (var path in options.Paths)
                {
                    await publisher.PublishFileAsync(path, cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                (published, duplicates) = (publisher.Published, publisher.Duplicates);
            }
        }
        catch (InvalidDataException e)
        {
            await stderr.WriteLineAsync($"portmismatch: {e.Message}").ConfigureAwait(false);
            return CommandLine.Failure;
        }
        catch (InvalidOperationException e) when (e is not ObjectDisposedException)
        {
            await stderr.WriteLineAsync($"portmismatch: {e.Message}").ConfigureAwait(false);
            return CommandLine.Failure;
        }
        catch (NatsException e)
        {
            await stderr.WriteLineAsync($"portmismatch: NATS at {string.Join(',', options.NatsUrls)}: {e.Message}").ConfigureAwait(false);
            return CommandLine.Failure;
        }
        finally
        {
            if (started)
            {
                await stderr.WriteLineAsync(FormattableString.Invariant($"published {published} messages to {options.NatsStream} ({options.Partitions} partitions)")).ConfigureAwait(false);
                if (duplicates > 0)
                {
                    await stderr.WriteLineAsync(FormattableString.Invariant($"portmismatch: {duplicates} messages were published before (the stream dropped them as duplicates)")).ConfigureAwait(false);
                }
            }
        }

        return CommandLine.Success;
    }
}
