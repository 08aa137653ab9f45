namespace PortMismatch.Detection.Internal;

/// <summary>
/// The slots the group tables of one aggregator may take beyond the first ones each table starts with: a table grows only
/// when the budget has room for the slots it adds, and gives them back when it shrinks or is freed. So the tables of many
/// windows together never take more than the budget, however their groups come and go.
/// </summary>
internal sealed class TableBudget(long slots)
{
    private long _nativeBytes;

    /// <summary>Gets the slots beyond each table's first ones that no table holds now.</summary>
    public long FreeSlots { get; private set; } = slots;

    public bool CanTake(long slots) => slots <= FreeSlots;

    public void Take(long slots) => FreeSlots -= slots;

    public void Give(long slots) => FreeSlots += slots;

    /// <summary>Gets the bytes of native memory the tables of this budget hold now (a finalizer may free some on its own thread).</summary>
    public long NativeBytes => Interlocked.Read(ref _nativeBytes);

    public void AddNativeBytes(long bytes) => Interlocked.Add(ref _nativeBytes, bytes);
}
