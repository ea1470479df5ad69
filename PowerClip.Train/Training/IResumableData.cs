using System.Text.Json.Nodes;

namespace PowerClip.Train.Training;

/// <summary>
/// A trainable whose data stream can be saved and restored (<see cref="PowerClip.Data.DataPosition"/>): the
/// trainer records every rank's position in each checkpoint (<see cref="DataPositionFile"/>) and, on resume,
/// restores it instead of replaying the steps already taken.
/// </summary>
public interface IResumableData
{
    /// <summary>Where this rank's data stands after the batches of the steps taken so far.</summary>
    JsonNode SaveDataPosition();

    /// <summary>
    /// Continues from a position <see cref="SaveDataPosition"/> returned when <paramref name="step"/> steps were done.
    /// </summary>
    void RestoreDataPosition(JsonNode position, int step);
}
