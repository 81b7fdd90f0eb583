namespace InferenceMesh.Kubernetes;

/// <summary>Watch event types of the Kubernetes API.</summary>
public enum WatchEventType
{
    Added = 0,
    Modified = 1,
    Deleted = 2,
    Bookmark = 3,
    Error = 4,
}
