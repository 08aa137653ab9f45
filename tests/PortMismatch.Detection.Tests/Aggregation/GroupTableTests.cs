using System.Runtime.CompilerServices;
using PortMismatch.Detection.Internal;

namespace PortMismatch.Detection.Tests.Aggregation;

/// <summary>
/// The group table under the two attacks of issue #16: a stream of ever-new groups past the group bound (each evicts the
/// oldest) and a family of keys built to share a hash. Work is counted (rebuilds, entries moved, probe distances), never
/// timed.
/// </summary>
public sealed class GroupTableTests
{
    private const uint NoCountBound = uint.MaxValue;

    [Fact]
    public void The_group_key_starts_with_the_four_address_words_that_entries_compare_as_two_vectors()
    {
        // Entry.IsLiveWith reads a GroupKey's first 32 bytes as SourceHigh, SourceLow, DestinationHigh, DestinationLow
        // (Unsafe.As): reordering the key's fields must fail here, not silently compare the wrong words.
        var key = new GroupKey(0x1111_1111_1111_1111, 0x2222_2222_2222_2222, 0x3333_3333_3333_3333, 0x4444_4444_4444_4444, 5, 6, 1, 2);
        Assert.Equal(40, Unsafe.SizeOf<GroupKey>());
        ref var first = ref Unsafe.As<GroupKey, ulong>(ref key);
        Assert.Equal(key.SourceHigh, first);
        Assert.Equal(key.SourceLow, Unsafe.Add(ref first, 1));
        Assert.Equal(key.DestinationHigh, Unsafe.Add(ref first, 2));
        Assert.Equal(key.DestinationLow, Unsafe.Add(ref first, 3));
        Assert.Equal(64, GroupTable.EntrySize); // one cache line (see GroupTable.Allocate)
    }

    [Fact]
    public void A_table_tells_its_budget_and_frees_its_native_memory_on_dispose()
    {
        var budget = new TableBudget(1 << 20);
        var table = new GroupTable(0, 100_000, NoCountBound, budget);
        Assert.Equal(table.EntryBytes, budget.NativeBytes);
        for (var i = 0; i < 10_000; i++)
        {
            var key = Ipv4Key((uint)i);
            _ = table.Add(key, key.Hash(), i, 0, Transport.Tcp, mayCreate: true, out _);
        }

        Assert.Equal(table.EntryBytes, budget.NativeBytes); // the old blocks of each growth were freed
        table.Shrink();
        Assert.Equal(table.EntryBytes, budget.NativeBytes);
        table.Dispose();
        Assert.Equal(0, budget.NativeBytes);
        table.Dispose(); // twice is harmless
        Assert.Equal(0, budget.NativeBytes);
    }

    [Fact]
    public void A_new_group_past_the_bound_evicts_the_oldest_without_rebuilding_the_table()
    {
        const int MaxGroups = 1_000;
        const int Inserts = 200_000;
        var table = new GroupTable(0, MaxGroups, NoCountBound);
        var evicted = 0L;
        var rebuildsAtTheBound = -1;
        for (var i = 0; i < Inserts; i++)
        {
            var key = Ipv4Key((uint)i);
            var hash = key.Hash();
            if (table.Add(key, hash, i, 0, Transport.Tcp, table.Count < MaxGroups, out _) == GroupTable.AddResult.NoRoom)
            {
                var (oldest, stats) = table.RemoveOldest();
                Assert.Equal(Ipv4Key((uint)evicted), oldest); // creation order survives the moves
                Assert.Equal(evicted, stats.First);
                evicted++;
                Assert.Equal(GroupTable.AddResult.Created, table.Add(key, hash, i, 0, Transport.Tcp, true, out _));
            }

            if (i == MaxGroups)
            {
                rebuildsAtTheBound = table.Rehashes;
            }
        }

        Assert.Equal(Inserts - MaxGroups, evicted);
        Assert.Equal(MaxGroups, table.Count);

        // Growing to the bound's 1,251 slots takes a rebuild per doubling from the first capacity, the last one capped at
        // the bound's (8 slots: 16, 32, ..., 1,024, 1,251); past the bound there are no more.
        var growths = 0;
        for (var capacity = (long)new GroupTable(0, MaxGroups, NoCountBound).FirstCapacity; capacity * 4 / 5 < MaxGroups; growths++)
        {
            capacity = Math.Min(capacity * 2, GroupTable.CapacityFor(MaxGroups));
        }

        Assert.Equal(8, growths);
        Assert.Equal(growths, rebuildsAtTheBound);
        Assert.Equal(rebuildsAtTheBound, table.Rehashes);

        // Each removal moves back part of one probe run: a few entries on average at 80 % load, not the table.
        var shiftedPerEviction = (double)table.EntriesShifted / evicted;
        Assert.True(shiftedPerEviction < 4, $"{shiftedPerEviction:F2} entries moved per eviction");

        // Every group is still found where the table says it is, with its statistics.
        for (var i = Inserts - MaxGroups; i < Inserts; i++)
        {
            Assert.True(table.TryGet(Ipv4Key((uint)i), out var stats), $"group {i}");
            Assert.Equal(i, stats.First);
        }

        Assert.False(table.TryGet(Ipv4Key(Inserts - MaxGroups - 1), out _));
    }

    [Fact]
    public void Keys_whose_IPv6_high_words_cancel_out_do_not_share_a_probe_sequence()
    {
        // Equal low words, app and port, and the same XOR of the two high words: one hash for every seed when the high
        // words were combined by XOR before mixing.
        const int Keys = 80_000;
        var table = new GroupTable(0, 100_000, NoCountBound);
        var ipv6 = IPAddressValue.Parse("2001:db8::1").Kind;
        for (var i = 0; i < Keys; i++)
        {
            var sourceHigh = 0x2001_0DB8_0000_0000UL | (uint)i;
            var key = new GroupKey(sourceHigh, 1, sourceHigh ^ 0x0000_0000_DEAD_BEEFUL, 2, 0, 4444, ipv6, ipv6);
            Assert.Equal(GroupTable.AddResult.Created, table.Add(key, key.Hash(), i, 0, Transport.Udp, true, out _));
        }

        // At 64 % load linear probing puts a key about one slot from its home on average; a shared hash puts the
        // n-th key n slots away (40,000 on average).
        var meanDistance = (double)table.ProbeDistanceTotal() / Keys;
        Assert.True(meanDistance < 3, $"mean distance from the home slot {meanDistance:F2}");
    }

    [Fact]
    public void Removals_interleaved_with_counts_and_inserts_agree_with_a_reference()
    {
        const int Seed = 16_001;
        var random = new Random(Seed);
        const int MaxGroups = 300;
        var table = new GroupTable(0, MaxGroups, NoCountBound);
        var reference = new Dictionary<GroupKey, long>();
        var order = new Queue<GroupKey>();
        try
        {
            for (var step = 0; step < 100_000; step++)
            {
                // Few distinct keys, so that counts into existing groups, inserts and removals all happen often; the
                // small key space also makes long probe runs that removals must shift.
                var key = Ipv4Key((uint)random.Next(2_000));
                var hash = key.Hash();
                switch (table.Add(key, hash, step, 0, Transport.Tcp, table.Count < MaxGroups, out _))
                {
                    case GroupTable.AddResult.Counted:
                        reference[key]++;
                        break;
                    case GroupTable.AddResult.Created:
                        reference[key] = 1;
                        order.Enqueue(key);
                        break;
                    case GroupTable.AddResult.NoRoom:
                        var (oldest, stats) = table.RemoveOldest();
                        var expectedOldest = order.Dequeue();
                        Assert.Equal(expectedOldest, oldest);
                        Assert.Equal(reference[expectedOldest], stats.Count);
                        reference.Remove(expectedOldest);
                        Assert.Equal(GroupTable.AddResult.Created, table.Add(key, hash, step, 0, Transport.Tcp, true, out _));
                        reference[key] = 1;
                        order.Enqueue(key);
                        break;
                    default:
                        Assert.Fail("No group can be saturated here.");
                        break;
                }

                if (random.Next(8) == 0 && table.Count > 0)
                {
                    var (oldest, _) = table.RemoveOldest();
                    Assert.Equal(order.Dequeue(), oldest);
                    reference.Remove(oldest);
                }

                if (step % 997 == 0)
                {
                    Assert.Equal(reference.Count, table.Count);
                    Assert.Equal(order, table.Groups().Select(g => g.Key));
                    foreach (var (k, count) in reference)
                    {
                        Assert.True(table.TryGet(k, out var stats));
                        Assert.Equal(count, stats.Count);
                    }
                }
            }
        }
        catch
        {
            TestContext.Current.TestOutputHelper?.WriteLine($"seed {Seed}");
            throw;
        }
    }

    private static GroupKey Ipv4Key(uint i)
    {
        var source = IPAddressValue.FromIPv4(0x0A000000u + i);
        var destination = IPAddressValue.FromIPv4(0xC0000201u);
        return GroupKey.Create(source, destination, 0, 4444);
    }
}
