using System.Globalization;
using System.IO.Compression;
using System.Text;
using PortMismatch.Detection.TestSupport;
using PortMismatch.Detection.Zeek.Tests.Support;

namespace PortMismatch.Detection.Zeek.Tests.Follow;

/// <summary>
/// The follower on real files in a temporary directory, changed under it while it runs as Zeek and zeekctl change them:
/// lines written in pieces, rotation by rename, archiving into a dated folder with gzip, truncation, replacement, and a
/// stop and restart with a bookmark. Each record's id is its source port, so "exactly once" is checked record by record.
/// </summary>
public sealed class ZeekLogFollowerTests : IDisposable
{
    private static readonly TimeSpan Poll10 = TimeSpan.FromMilliseconds(10);
    private readonly string _directory = Directory.CreateTempSubdirectory("follow-").FullName;

    private string Log => Path.Combine(_directory, "conn.log");

    private string BookmarkFile => Path.Combine(_directory, "..", Path.GetFileName(_directory) + ".bookmark.json");

    public void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
        File.Delete(BookmarkFile);
    }

    [Fact]
    public async Task A_partial_last_line_waits_for_its_line_feed()
    {
        var second = Record(2);
        File.WriteAllText(Log, Header("a") + Record(1) + second[..20]);
        await using var run = Follow();

        await run.UntilIdsAsync(1);
        Assert.False(await Poll.WithinAsync(() => run.Ids.Count > 1, TimeSpan.FromMilliseconds(300)), "a line without its line feed was read");
        File.AppendAllText(Log, second[20..]);

        await run.UntilIdsAsync(2);
        Assert.Equal("read 2 = accepted 2 + rejected 0 + skipped 0", run.Follower.Counters.ToString());
    }

    [Fact]
    public async Task Rotation_by_rename_and_a_new_file_loses_and_repeats_nothing()
    {
        File.WriteAllText(Log, Header("a") + Records(1, 50));
        await using var run = Follow();
        await run.UntilIdsAsync(50);

        // Zeek's own rotation: the last lines, #close, a rename, and a new conn.log with its own header.
        File.AppendAllText(Log, Records(51, 60) + ConnLog.Close);
        File.Move(Log, Path.Combine(_directory, "conn.2026-11-26-13-00-00.log"));
        File.WriteAllText(Log, Header("b") + Records(61, 100));

        await run.UntilIdsAsync(100);
        Assert.Equal(1, run.Follower.FilesFinished);
        Assert.Equal(100, run.Follower.Counters.Accepted);
        Assert.True(run.Follower.Counters.IsBalanced);
    }

    [Fact]
    public async Task Each_file_is_read_with_its_own_header()
    {
        // After the rotation Zeek writes other columns in another order (a script added or moved fields): the new file's
        // #fields must be used, not the old one's.
        File.WriteAllText(Log, Header("a") + Records(1, 5));
        await using var run = Follow();
        await run.UntilIdsAsync(5);

        string[] fields = ["id.resp_p", "id.resp_h", "service", "ts", "id.orig_p", "id.orig_h", "proto", "extra"];
        var header = ConnLog.Header(fields).Replace("2026-11-26-13-00-00", "2026-11-26-14-00-00", StringComparison.Ordinal);
        var lines = string.Concat(Enumerable.Range(6, 5).Select(id => string.Create(CultureInfo.InvariantCulture, $"8443\t10.0.0.2\tssl\t{1_790_000_000 + id}.5\t{id}\t10.0.0.1\ttcp\tx\n")));
        File.Move(Log, Path.Combine(_directory, "conn.2026-11-26-13-00-00.log"));
        File.WriteAllText(Log, header + lines);

        await run.UntilIdsAsync(10);
        Assert.Equal("read 10 = accepted 10 + rejected 0 + skipped 0", run.Follower.Counters.ToString());
    }

    [Fact]
    public async Task A_zeekctl_archive_into_a_gzipped_dated_folder_while_running_loses_and_repeats_nothing()
    {
        File.WriteAllText(Log, Header("a") + Records(1, 30));
        await using var run = Follow();
        await run.UntilIdsAsync(30);

        File.AppendAllText(Log, Records(31, 40) + ConnLog.Close);
        ArchiveGzip(Log, "2026-11-26", "conn.13:00:00-14:00:00.log.gz");
        File.WriteAllText(Log, Header("b") + Records(41, 70));

        await run.UntilIdsAsync(70);
        Assert.Equal(1, run.Follower.FilesFinished);
        Assert.Equal(70, run.Follower.Counters.Read);
    }

    [Theory]
    [InlineData(20261126)]
    [InlineData(7)]
    public async Task Lines_written_in_random_pieces_through_random_rotations_are_each_read_once(int seed)
    {
        // A writer appends 1,500 records in pieces of 1 to 400 bytes (cutting lines anywhere) with short pauses, and
        // rotates every 100 to 400 records, by rename or by a zeekctl archive with gzip, while the follower polls every
        // 10 ms: the races between a poll and a rotation are met many times.
        var random = new Random(seed);
        File.WriteAllText(Log, Header("0"));
        await using var run = Follow();
        var rotations = 0;
        var sinceRotation = 0;
        var nextRotation = random.Next(100, 400);
        for (var id = 1; id <= 1500; id++)
        {
            var line = Record(id);
            for (var at = 0; at < line.Length;)
            {
                var n = Math.Min(random.Next(1, 400), line.Length - at);
                File.AppendAllText(Log, line.Substring(at, n));
                at += n;
            }

            if (random.Next(50) == 0)
            {
                await Task.Delay(random.Next(1, 15), TestContext.Current.CancellationToken);
            }

            if (++sinceRotation == nextRotation)
            {
                rotations++;
                File.AppendAllText(Log, ConnLog.Close);
                if (random.Next(2) == 0)
                {
                    File.Move(Log, Path.Combine(_directory, $"conn.{rotations}.log"));
                }
                else
                {
                    ArchiveGzip(Log, $"day-{rotations}", "conn.log.gz");
                }

                File.WriteAllText(Log, Header(rotations.ToString(CultureInfo.InvariantCulture)));
                sinceRotation = 0;
                nextRotation = random.Next(100, 400);
            }
        }

        await run.UntilIdsAsync(1500);
        await Poll.UntilAsync(() => run.Follower.FilesFinished == rotations, () => $"{run.Follower.FilesFinished} of {rotations} rotations (seed {seed})");
        Assert.Equal($"read 1500 = accepted 1500 + rejected 0 + skipped 0", run.Follower.Counters.ToString());
    }

    [Fact]
    public async Task A_file_truncated_and_written_again_in_place_is_read_from_its_start()
    {
        File.WriteAllText(Log, Header("a") + Records(1, 10));
        await using var run = Follow();
        await run.UntilIdsAsync(10);

        using (var same = new FileStream(Log, FileMode.Truncate, FileAccess.Write, FileShare.ReadWrite))
        {
            same.Write(Encoding.UTF8.GetBytes(Header("b") + Records(11, 12)));
        }

        await run.UntilIdsAsync(12);
        Assert.Equal(1, run.Follower.FilesFinished);
    }

    [Fact]
    public async Task A_file_replaced_by_another_is_read_from_its_start()
    {
        File.WriteAllText(Log, Header("a") + Records(1, 10));
        await using var run = Follow();
        await run.UntilIdsAsync(10);

        File.Delete(Log);
        File.WriteAllText(Log, Header("b") + Records(11, 40));

        await run.UntilIdsAsync(40);
        Assert.Equal(1, run.Follower.FilesFinished);
    }

    [Fact]
    public async Task A_line_cut_at_rotation_is_rejected_with_its_position_not_lost()
    {
        var header = Header("a");
        File.WriteAllText(Log, header + Records(1, 5) + Record(6)[..25]);
        var diagnostics = new List<InputDiagnostic>();
        await using var run = Follow(diagnostics: d =>
        {
            lock (diagnostics)
            {
                diagnostics.Add(d);
            }
        });
        await run.UntilIdsAsync(5);

        File.Move(Log, Path.Combine(_directory, "conn.2026-11-26-13-00-00.log"));
        File.WriteAllText(Log, Header("b") + Records(7, 8));

        await Poll.UntilAsync(() => run.Ids.Count == 7 && run.Follower.Counters.Rejected == 1, () => $"{run.Follower.Counters}");
        var cut = Assert.Single(diagnostics);
        Assert.Equal("unterminated-line", cut.Reason);
        Assert.Equal(header.Count(c => c == '\n') + 6, cut.LineNumber);
        Assert.Equal(Encoding.UTF8.GetByteCount(header + Records(1, 5)), cut.ByteOffset);
        Assert.Equal([1, 2, 3, 4, 5, 7, 8], run.Ids.Order());
        Assert.Equal(1, run.Follower.Counters.RejectedByReason["unterminated-line"]);
    }

    [Theory]
    [InlineData("same file")]
    [InlineData("renamed")]
    [InlineData("archived with gzip")]
    public async Task A_stop_and_restart_with_a_bookmark_counts_every_record_exactly_once(string whileStopped)
    {
        var header = Header("a");
        File.WriteAllText(Log, header);
        List<int> first;
        InputCounters firstCounters;
        ZeekFollowStart firstStart;
        await using (var run = Follow(BookmarkFile))
        {
            // Written in pieces while it reads, cut mid-line; stopped (cancelled) in the middle.
            for (var id = 1; id <= 600; id += 20)
            {
                var text = Records(id, id + 19);
                File.AppendAllText(Log, text[..(text.Length / 2)]);
                File.AppendAllText(Log, text[(text.Length / 2)..]);
            }

            File.AppendAllText(Log, Record(601)[..30]);
            await run.UntilIdsAsync(600);
            await run.StopAsync();
            first = [.. run.Ids];
            firstCounters = run.Follower.Counters;
            firstStart = run.Follower.Start;
        }

        Assert.Equal(ZeekFollowStart.Beginning, firstStart);
        File.AppendAllText(Log, Record(601)[30..] + Records(602, 700));
        var expectedStart = ZeekFollowStart.Bookmark;
        switch (whileStopped)
        {
            case "renamed":
                File.AppendAllText(Log, ConnLog.Close);
                File.Move(Log, Path.Combine(_directory, "conn.2026-11-26-13-00-00.log"));
                File.WriteAllText(Log, Header("b") + Records(701, 750));
                expectedStart = ZeekFollowStart.BookmarkRotated;
                break;
            case "archived with gzip":
                File.AppendAllText(Log, ConnLog.Close);
                ArchiveGzip(Log, "2026-11-26", "conn.13:00:00-14:00:00.log.gz");
                File.WriteAllText(Log, Header("b") + Records(701, 750));
                expectedStart = ZeekFollowStart.BookmarkRotated;
                break;
        }

        var total = whileStopped == "same file" ? 700 : 750;
        await using (var run = Follow(BookmarkFile))
        {
            await Poll.UntilAsync(() => first.Count + run.Ids.Count >= total, () => $"{first.Count} + {run.Ids.Count}");
            await Task.Delay(100, TestContext.Current.CancellationToken); // a record read twice would arrive now
            await run.StopAsync();
            Assert.Equal(expectedStart, run.Follower.Start);
            Assert.Empty(first.Intersect(run.Ids));
            Assert.Equal(Enumerable.Range(1, total), first.Concat(run.Ids).Order());
            Assert.Equal(total, firstCounters.Accepted + run.Follower.Counters.Accepted);
            Assert.Equal(total, firstCounters.Read + run.Follower.Counters.Read);
        }
    }

    [Fact]
    public async Task A_run_killed_while_it_hands_on_a_batch_loses_the_rest_of_that_batch_and_repeats_nothing()
    {
        // The bookmark moves before a batch is handed on: a process killed in the middle of one (here: the sink throws,
        // as a dying process stops) resumes after the whole batch. 600 lines written at once are one batch.
        File.WriteAllText(Log, Header("a") + Records(1, 600));
        var handed = new List<int>();
        var dying = new ZeekLogFollower(_directory, ZeekFollowOptions.Default with { PollInterval = Poll10, BookmarkPath = BookmarkFile });
        await Assert.ThrowsAsync<InvalidOperationException>(() => dying.ReadAsync(new DyingSink(handed, after: 250), TestContext.Current.CancellationToken));
        Assert.Equal(Enumerable.Range(1, 250), handed);

        File.AppendAllText(Log, Records(601, 650));
        await using var again = Follow(BookmarkFile);
        await again.UntilIdsAsync(50);
        Assert.Equal(ZeekFollowStart.Bookmark, again.Follower.Start);
        Assert.Equal(Enumerable.Range(601, 50), again.Ids.Order());
    }

    [Fact]
    public async Task A_line_cut_at_rotation_is_not_counted_again_after_a_restart()
    {
        File.WriteAllText(Log, Header("a") + Records(1, 5) + Record(6)[..25]);
        await using (var run = Follow(BookmarkFile))
        {
            await run.UntilIdsAsync(5);
            File.Move(Log, Path.Combine(_directory, "conn.2026-11-26-13-00-00.log"));
            await Poll.UntilAsync(() => run.Follower.Counters.Rejected == 1, () => $"{run.Follower.Counters}");
        }

        File.WriteAllText(Log, Header("b") + Records(7, 8));
        await using var again = Follow(BookmarkFile);
        await again.UntilIdsAsync(2);
        Assert.Equal(ZeekFollowStart.BookmarkRotated, again.Follower.Start);
        Assert.Equal("read 2 = accepted 2 + rejected 0 + skipped 0", again.Follower.Counters.ToString());
    }

    [Fact]
    public async Task A_JSON_log_is_followed_through_a_rotation_and_resumed_from_a_bookmark()
    {
        // Zeek with LogAscii::use_json: no header, each file told by its first record.
        static string Json(int id) => string.Create(CultureInfo.InvariantCulture,
            $"{{\"ts\":{1_790_000_000 + id}.5,\"uid\":\"C{id}\",\"id.orig_h\":\"10.0.0.1\",\"id.orig_p\":{id},\"id.resp_h\":\"10.0.0.2\",\"id.resp_p\":8443,\"proto\":\"tcp\",\"service\":\"ssl\"}}\n");
        static string Jsons(int from, int to) => string.Concat(Enumerable.Range(from, to - from + 1).Select(Json));

        File.WriteAllText(Log, Jsons(1, 20) + Json(21)[..40]);
        await using (var run = Follow(BookmarkFile))
        {
            await run.UntilIdsAsync(20);
        }

        File.AppendAllText(Log, Json(21)[40..] + Jsons(22, 30));
        File.Move(Log, Path.Combine(_directory, "conn.2026-11-26-13-00-00.log"));
        File.WriteAllText(Log, Jsons(31, 40));
        await using var again = Follow(BookmarkFile);
        await again.UntilIdsAsync(20);
        Assert.Equal(ZeekFollowStart.BookmarkRotated, again.Follower.Start);
        Assert.Equal(Enumerable.Range(21, 20), again.Ids.Order());
    }

    [Fact]
    public async Task A_line_longer_than_the_buffer_is_rejected_as_too_long_and_reading_goes_on()
    {
        // 3 MiB without a line feed, written while the follower runs: more than its 1 MiB buffer, which must not grow.
        File.WriteAllText(Log, Header("a") + Records(1, 3));
        await using var run = Follow();
        await run.UntilIdsAsync(3);
        var junk = new string('x', 1 << 20);
        for (var i = 0; i < 3; i++)
        {
            File.AppendAllText(Log, junk);
        }

        File.AppendAllText(Log, "\n" + Records(4, 5));
        await Poll.UntilAsync(() => run.Ids.Count == 5, () => $"{run.Follower.Counters}");
        Assert.Equal("read 6 = accepted 5 + rejected 1 + skipped 0", run.Follower.Counters.ToString());
        Assert.Equal(1, run.Follower.Counters.RejectedByReason["line-too-long"]);
    }

    [Fact]
    public async Task A_bookmark_of_a_file_that_is_gone_starts_the_current_log_from_its_start_and_says_so()
    {
        File.WriteAllText(Log, Header("a") + Records(1, 10));
        await using (var run = Follow(BookmarkFile))
        {
            await run.UntilIdsAsync(10);
        }

        File.Delete(Log);
        File.WriteAllText(Log, Header("b") + Records(11, 20));
        await using var again = Follow(BookmarkFile);
        await again.UntilIdsAsync(10);
        Assert.Equal(ZeekFollowStart.BookmarkLost, again.Follower.Start);
        Assert.Equal(Enumerable.Range(11, 10), again.Ids.Order());
    }

    [Fact]
    public async Task A_missing_directory_fails_with_its_path()
    {
        var missing = Path.Combine(_directory, "no-such");
        var follower = new ZeekLogFollower(missing);

        var e = await Assert.ThrowsAsync<DirectoryNotFoundException>(() => follower.ReadAsync(new CollectingSink(), TestContext.Current.CancellationToken));
        Assert.Equal($"{missing}: no such directory.", e.Message);
    }

    [Fact]
    public async Task A_file_that_is_not_a_bookmark_fails_with_its_path()
    {
        File.WriteAllText(BookmarkFile, "{\"offset\": 3}");
        var follower = new ZeekLogFollower(_directory, ZeekFollowOptions.Default with { BookmarkPath = BookmarkFile });

        var e = await Assert.ThrowsAsync<IOException>(() => follower.ReadAsync(new CollectingSink(), TestContext.Current.CancellationToken));
        Assert.Equal($"bookmark {BookmarkFile}: no \"file\".", e.Message);
    }

    private static string Header(string open) => ConnLog.Header().Replace("2026-11-26-13-00-00", $"2026-11-26-13-00-00-{open}", StringComparison.Ordinal);

    private static string Record(int id)
        => ConnLog.Line((1_790_000_000 + id).ToString(CultureInfo.InvariantCulture) + ".5", "10.0.0.1", id.ToString(CultureInfo.InvariantCulture), "10.0.0.2", "8443", "tcp", "ssl");

    private static string Records(int from, int to)
    {
        var text = new StringBuilder();
        for (var id = from; id <= to; id++)
        {
            text.Append(Record(id));
        }

        return text.ToString();
    }

    /// <summary>zeekctl's archive-log: a gzipped copy in a dated folder, then the original removed.</summary>
    private void ArchiveGzip(string path, string folder, string name)
    {
        var dated = Directory.CreateDirectory(Path.Combine(_directory, folder)).FullName;
        using (var input = File.OpenRead(path))
        using (var output = new GZipStream(File.Create(Path.Combine(dated, name)), CompressionLevel.Fastest))
        {
            input.CopyTo(output);
        }

        File.Delete(path);
    }

    private Running Follow(string? bookmark = null, Action<InputDiagnostic>? diagnostics = null)
        => new(new ZeekLogFollower(_directory, ZeekFollowOptions.Default with { PollInterval = Poll10, BookmarkPath = bookmark }, diagnostics));

    /// <summary>Takes <c>after</c> records, then throws, as a process killed while it aggregates stops taking them.</summary>
    private sealed class DyingSink(List<int> ids, int after) : IFlowRecordSink
    {
        public void OnRecord(in FlowRecord record)
        {
            if (ids.Count == after)
            {
                throw new InvalidOperationException("killed");
            }

            ids.Add(record.SourcePort ?? -1);
        }
    }

    /// <summary>A follower reading on the thread pool until stopped; the ids (source ports) of the records it handed on.</summary>
    private sealed class Running : IAsyncDisposable, IFlowRecordSink
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly List<int> _ids = [];
        private readonly Task _reading;

        public Running(ZeekLogFollower follower)
        {
            Follower = follower;
            _reading = Task.Run(() => follower.ReadAsync(this, _stop.Token));
        }

        public ZeekLogFollower Follower { get; }

        public List<int> Ids
        {
            get
            {
                lock (_ids)
                {
                    return [.. _ids];
                }
            }
        }

        public void OnRecord(in FlowRecord record)
        {
            lock (_ids)
            {
                _ids.Add(record.SourcePort ?? -1);
            }
        }

        public async Task UntilIdsAsync(int count)
        {
            await Poll.UntilAsync(() => _reading.IsFaulted || Ids.Count >= count, () => $"{Ids.Count} of {count} records; {Follower.Counters}");
            if (_reading.IsFaulted)
            {
                await _reading;
            }

            Assert.Equal(Enumerable.Range(Ids.Min(), count), Ids.Order());
        }

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await _reading.WaitAsync(TimeSpan.FromSeconds(30));
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            _stop.Dispose();
        }
    }
}
