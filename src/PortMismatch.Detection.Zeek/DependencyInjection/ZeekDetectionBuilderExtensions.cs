using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PortMismatch.Detection;
using PortMismatch.Detection.Zeek;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the Zeek conn.log source to the detection.</summary>
public static class ZeekDetectionBuilderExtensions
{
    /// <summary>
    /// Registers one <see cref="IFlowSource"/> that reads <see cref="ZeekSourceOptions.Files"/> in order and then, when
    /// <see cref="ZeekSourceOptions.FollowDirectory"/> is set, follows the log being written there until the host stops
    /// (a <see cref="ZeekLogFollower"/>); rejected lines go to <see cref="InputDiagnosticLog"/>. The options are validated when the host starts. Idempotent: calling it again only
    /// adds <paramref name="configure"/>.
    /// </summary>
    /// <param name="builder">The detection builder.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder.</returns>
    public static PortMismatchDetectionBuilder AddZeek(this PortMismatchDetectionBuilder builder, Action<ZeekSourceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<ZeekSourceOptions>().Configure(configure ?? (static _ => { })).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ZeekSourceOptions>, Validator>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IFlowSource, ZeekSource>(static provider => ZeekSource.Create(
            provider.GetRequiredService<IOptions<ZeekSourceOptions>>().Value, provider.GetRequiredService<InputDiagnosticLog>())));
        return builder;
    }

    private sealed class ZeekSource(IFlowSource inner) : IFlowSource
    {
        public string Name => inner.Name;

        public InputCounters Counters => inner.Counters;

        public static ZeekSource Create(ZeekSourceOptions options, InputDiagnosticLog log)
        {
            var readerOptions = options.ToReaderOptions();
            var parts = options.Files.Select(file => ZeekConnInput.FileSource(file, readerOptions, log.Report)).ToList();
            if (options.FollowDirectory is { } directory)
            {
                parts.Add(new ZeekLogFollower(directory, options.ToFollowOptions(), log.Report));
            }

            return new ZeekSource(FlowSource.Concat("zeek conn.log", parts));
        }

        public Task ReadAsync(IFlowRecordSink sink, CancellationToken cancellationToken) => inner.ReadAsync(sink, cancellationToken);
    }

    private sealed class Validator : IValidateOptions<ZeekSourceOptions>
    {
        public ValidateOptionsResult Validate(string? name, ZeekSourceOptions options)
        {
            var failures = new List<string>();
            if (options.Files.Count == 0 && options.FollowDirectory is null)
            {
                failures.Add("ZeekSourceOptions.Files is empty and FollowDirectory is not set: list the conn.log files to read, or the directory Zeek writes to.");
            }

            if (options.FollowDirectory is { } directory && !Directory.Exists(directory))
            {
                failures.Add($"ZeekSourceOptions.FollowDirectory: '{directory}' is not a directory.");
            }

            if (options.FollowDirectory is not null)
            {
                try
                {
                    _ = new ZeekLogFollower(options.FollowDirectory, options.ToFollowOptions());
                }
                catch (ArgumentException e)
                {
                    failures.Add($"ZeekSourceOptions does not make valid follow options: {e.Message}");
                }
            }

            foreach (var file in options.Files)
            {
                if (!File.Exists(file))
                {
                    failures.Add($"ZeekSourceOptions.Files: '{file}' does not exist.");
                }
            }

            try
            {
                _ = new ZeekReaderState(options.ToReaderOptions());
            }
            catch (ArgumentException e)
            {
                failures.Add($"ZeekSourceOptions does not make valid reader options: {e.Message}");
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
