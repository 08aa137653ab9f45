using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace PortMismatch.Detection.Nats;

/// <summary>Makes, or checks, the stream that flow messages go to (docs/SCALE-OUT.md: subjects <c>&lt;prefix&gt;.&gt;</c>).</summary>
public static class NatsFlowStreams
{
    /// <summary>The default stream name.</summary>
    public const string DefaultName = "FLOWS";

    /// <summary>The default subject prefix: messages go to <c>flows.&lt;partition&gt;.&lt;format&gt;</c>.</summary>
    public const string DefaultSubjectPrefix = "flows";

    /// <summary>The default duplicate window: how long JetStream remembers a <c>Nats-Msg-Id</c>, within which a publish run again adds nothing twice.</summary>
    public static readonly TimeSpan DefaultDuplicateWindow = TimeSpan.FromMinutes(10);

    private static readonly System.Buffers.SearchValues<char> NotInToken = System.Buffers.SearchValues.Create(". *>\t\r\n");

    /// <summary>
    /// Returns the stream <paramref name="name"/>, made when it is missing with subjects <c><paramref name="subjectPrefix"/>.&gt;</c>,
    /// <paramref name="replicas"/> replicas and <paramref name="duplicateWindow"/>. A stream of that name that exists is
    /// taken as it is when it holds those subjects (its replicas and window are its own).
    /// </summary>
    /// <param name="js">The JetStream context.</param>
    /// <param name="name">The stream's name.</param>
    /// <param name="subjectPrefix">The subject prefix (a subject token: no dots, spaces or wildcards).</param>
    /// <param name="replicas">The replicas of a new stream (1, or 3 on a three-node cluster for exactness through a node's loss).</param>
    /// <param name="duplicateWindow">The duplicate window of a new stream (default <see cref="DefaultDuplicateWindow"/>).</param>
    /// <param name="cancellationToken">Cancels the requests.</param>
    /// <returns>The stream.</returns>
    /// <exception cref="InvalidOperationException">A stream of that name exists and its subjects do not include <c><paramref name="subjectPrefix"/>.&gt;</c>.</exception>
    public static async Task<INatsJSStream> EnsureAsync(
        INatsJSContext js,
        string name = DefaultName,
        string subjectPrefix = DefaultSubjectPrefix,
        int replicas = 1,
        TimeSpan? duplicateWindow = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        ArgumentException.ThrowIfNullOrEmpty(name);
        CheckToken(subjectPrefix, nameof(subjectPrefix));
        ArgumentOutOfRangeException.ThrowIfLessThan(replicas, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(replicas, 5);
        var window = duplicateWindow ?? DefaultDuplicateWindow;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero, nameof(duplicateWindow));
        var subjects = subjectPrefix + ".>";
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var existing = await js.GetStreamAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false);
                return Check(existing, subjects);
            }
            catch (NatsJSApiException e) when (e.Error.Code == 404)
            {
                // missing: made below
            }

            try
            {
                return await js.CreateStreamAsync(
                    new StreamConfig(name, [subjects]) { NumReplicas = replicas, DuplicateWindow = window },
                    cancellationToken).ConfigureAwait(false);
            }
            catch (NatsJSApiException e) when (e.Error.ErrCode == 10058 && attempt == 0)
            {
                // Another publisher made it meanwhile ("stream name already in use"): check that one.
            }
        }
    }

    /// <summary>Checks that a name is one subject token.</summary>
    internal static void CheckToken(string token, string parameter)
    {
        ArgumentException.ThrowIfNullOrEmpty(token, parameter);
        if (token.AsSpan().IndexOfAny(NotInToken) >= 0)
        {
            throw new ArgumentException($"'{token}' is not one subject token (no dots, spaces or wildcards).", parameter);
        }
    }

    private static INatsJSStream Check(INatsJSStream stream, string subjects)
    {
        var have = stream.Info.Config.Subjects ?? [];
        foreach (var subject in have)
        {
            if (subject == subjects || subject == ">")
            {
                return stream;
            }
        }

        throw new InvalidOperationException(
            $"The stream '{stream.Info.Config.Name}' exists with subjects [{string.Join(", ", have)}], which do not include '{subjects}': "
            + $"give another stream name, or another subject prefix that matches the stream, or add '{subjects}' to the stream.");
    }
}
