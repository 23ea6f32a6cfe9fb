package bindings

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"go.temporal.io/sdk/temporal"
	"gocloud.dev/blob"
	// Local drivers only: the s3, gcs and azure drivers pull in their cloud
	// SDKs and their credential lookups; a build that needs them adds the
	// driver import next to its main.
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/memblob"
	"gocloud.dev/gcerrors"

	"github.com/fnchain/orchestrator/activities"
)

// TypeNotFound is the error type of a missing object.
const TypeNotFound = "NotFound"

const defaultListLimit = 1000

type blobConn struct {
	bucket *blob.Bucket
}

func openBlob(ctx context.Context, rawURL string) (conn, error) {
	b, err := blob.OpenBucket(ctx, rawURL)
	if err != nil {
		return nil, fmt.Errorf("opening bucket: %w", err)
	}
	return &blobConn{bucket: b}, nil
}

func (c *blobConn) check(ctx context.Context) error {
	ok, err := c.bucket.IsAccessible(ctx)
	if err == nil && !ok {
		err = errors.New("bucket is not accessible")
	}
	return err
}

func (c *blobConn) close() error { return c.bucket.Close() }

// BlobWriteInput is the `with` of blob.write.
type BlobWriteInput struct {
	Connection  string `json:"connection" minLength:"1" doc:"name of a blob connection"`
	Key         string `json:"key" minLength:"1" doc:"object key"`
	Data        any    `json:"data" doc:"a string is written as is (or decoded, with encoding base64), any other value as JSON"`
	Encoding    string `json:"encoding,omitempty" enum:"text,base64" default:"text" doc:"how a string data is encoded"`
	ContentType string `json:"contentType,omitempty" doc:"default: text/plain for a string, application/json otherwise"`
}

// BlobWriteOutput is the result of blob.write.
type BlobWriteOutput struct {
	Key  string `json:"key" doc:"the object key"`
	Size int    `json:"size" doc:"bytes written"`
}

// BlobKeyInput is the `with` of blob.delete.
type BlobKeyInput struct {
	Connection string `json:"connection" minLength:"1" doc:"name of a blob connection"`
	Key        string `json:"key" minLength:"1" doc:"object key"`
}

// BlobReadInput is the `with` of blob.read.
type BlobReadInput struct {
	Connection string `json:"connection" minLength:"1" doc:"name of a blob connection"`
	Key        string `json:"key" minLength:"1" doc:"object key"`
	As         string `json:"as,omitempty" enum:"text,base64,json" default:"text" doc:"how to return the contents"`
}

// BlobReadOutput is the result of blob.read.
type BlobReadOutput struct {
	Key         string `json:"key" doc:"the object key"`
	Data        any    `json:"data" doc:"the contents, as asked by as"`
	Size        int64  `json:"size" doc:"bytes read"`
	ContentType string `json:"contentType" doc:"the object's content type"`
}

// BlobListInput is the `with` of blob.list.
type BlobListInput struct {
	Connection string `json:"connection" minLength:"1" doc:"name of a blob connection"`
	Prefix     string `json:"prefix,omitempty" doc:"only keys starting with this"`
	Limit      int    `json:"limit,omitempty" minimum:"1" maximum:"10000" default:"1000" doc:"at most this many objects"`
}

// BlobObject is one entry of blob.list.
type BlobObject struct {
	Key     string    `json:"key" doc:"object key"`
	Size    int64     `json:"size" doc:"bytes"`
	ModTime time.Time `json:"modTime" doc:"last modification"`
}

// BlobListOutput is the result of blob.list.
type BlobListOutput struct {
	Objects   []BlobObject `json:"objects" doc:"objects in key order"`
	Truncated bool         `json:"truncated" doc:"true when more objects matched than limit"`
}

// BlobDeleteOutput is the result of blob.delete.
type BlobDeleteOutput struct {
	Key     string `json:"key" doc:"the object key"`
	Deleted bool   `json:"deleted" doc:"false when the object did not exist"`
}

func (b binder) blobWrite(ctx context.Context, in BlobWriteInput) (BlobWriteOutput, error) {
	c, bc, err := lookup[*blobConn](b.pool, in.Connection, "blob")
	if err != nil {
		return BlobWriteOutput{}, err
	}
	data, contentType, err := encodePayload("data", in.Data)
	if err != nil {
		return BlobWriteOutput{}, err
	}
	if s, ok := in.Data.(string); ok && in.Encoding == "base64" {
		if data, err = base64.StdEncoding.DecodeString(s); err != nil {
			return BlobWriteOutput{}, activities.NewValidationError("argument \"data\": not base64: %v", err)
		}
		contentType = "application/octet-stream"
	}
	if in.ContentType != "" {
		contentType = in.ContentType
	}
	if err := bc.bucket.WriteAll(ctx, in.Key, data, &blob.WriterOptions{ContentType: contentType}); err != nil {
		return BlobWriteOutput{}, blobError(ctx, c, in.Key, err)
	}
	return BlobWriteOutput{Key: in.Key, Size: len(data)}, nil
}

func (b binder) blobRead(ctx context.Context, in BlobReadInput) (BlobReadOutput, error) {
	c, bc, err := lookup[*blobConn](b.pool, in.Connection, "blob")
	if err != nil {
		return BlobReadOutput{}, err
	}
	r, err := bc.bucket.NewReader(ctx, in.Key, nil)
	if err != nil {
		return BlobReadOutput{}, blobError(ctx, c, in.Key, err)
	}
	defer func() { _ = r.Close() }()
	data, err := io.ReadAll(r)
	if err != nil {
		return BlobReadOutput{}, blobError(ctx, c, in.Key, err)
	}
	out := BlobReadOutput{Key: in.Key, Size: int64(len(data)), ContentType: r.ContentType()}
	switch in.As {
	case "base64":
		out.Data = base64.StdEncoding.EncodeToString(data)
	case "json":
		v := decodePayload(data)
		if _, isText := v.(string); isText {
			return BlobReadOutput{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("connection %q: object %q is not JSON; read it with as: text", c.name, in.Key), activities.TypeValidation, nil)
		}
		out.Data = v
	default:
		if !utf8.Valid(data) {
			return BlobReadOutput{}, activities.NewValidationError("argument \"as\": object %q is binary; read it with as: base64", in.Key)
		}
		out.Data = string(data)
	}
	return out, nil
}

func (b binder) blobList(ctx context.Context, in BlobListInput) (BlobListOutput, error) {
	c, bc, err := lookup[*blobConn](b.pool, in.Connection, "blob")
	if err != nil {
		return BlobListOutput{}, err
	}
	limit := in.Limit
	if limit == 0 {
		limit = defaultListLimit
	}
	out := BlobListOutput{Objects: []BlobObject{}}
	it := bc.bucket.List(&blob.ListOptions{Prefix: in.Prefix})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return BlobListOutput{}, blobError(ctx, c, in.Prefix, err)
		}
		if len(out.Objects) == limit {
			out.Truncated = true
			return out, nil
		}
		out.Objects = append(out.Objects, BlobObject{Key: obj.Key, Size: obj.Size, ModTime: obj.ModTime})
	}
}

func (b binder) blobDelete(ctx context.Context, in BlobKeyInput) (BlobDeleteOutput, error) {
	c, bc, err := lookup[*blobConn](b.pool, in.Connection, "blob")
	if err != nil {
		return BlobDeleteOutput{}, err
	}
	err = bc.bucket.Delete(ctx, in.Key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return BlobDeleteOutput{Key: in.Key}, nil
	}
	if err != nil {
		return BlobDeleteOutput{}, blobError(ctx, c, in.Key, err)
	}
	return BlobDeleteOutput{Key: in.Key, Deleted: true}, nil
}

func blobError(ctx context.Context, c *connection, key string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	switch gcerrors.Code(err) {
	case gcerrors.NotFound:
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("connection %q: no object %q", c.name, key), TypeNotFound, nil)
	case gcerrors.InvalidArgument:
		return activities.NewValidationError("argument \"key\": %s", c.red.text(err.Error()))
	}
	return c.fail(err)
}
