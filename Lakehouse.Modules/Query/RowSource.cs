namespace Lakehouse.Query;

/// <summary>
/// A running query's rows, taken a batch at a time, with max_rows applied: the result is truncated
/// only when a row past the limit exists.
/// </summary>
internal abstract class RowSource(long? maxRows) : IDisposable
{
    long _taken;
    bool _stopped;

    public bool Truncated { get; private set; }

    /// <summary>Whether another row is there to take; may wait for DuckDB to produce it.</summary>
    public bool HasRow => !_stopped && MoreRows();

    public void Fill(RowBatch batch)
    {
        while (batch.Count < RowBatch.Capacity && HasRow)
        {
            if (_taken == maxRows)
            {
                Truncated = true;
                _stopped = true;
                return;
            }
            var room = RowBatch.Capacity - batch.Count;
            if (maxRows is { } limit) room = (int)Math.Min(room, limit - _taken);
            _taken += Read(batch, room);
        }
    }

    protected abstract bool MoreRows();

    /// <summary>Appends up to <paramref name="room"/> rows (at least one: <see cref="MoreRows"/> said so) and returns how many.</summary>
    protected abstract int Read(RowBatch batch, int room);

    public abstract void Dispose();
}
