"""Read queries and the visibility rules (no writes), one module per subject; the names are
re-exported here, so callers write `selectors.submission_get_visible(...)`."""

from upscaler.selectors.estimates import (  # noqa: F401
    DEFAULT_MS_PER_MEGAPIXEL,
    ESTIMATE_SAMPLE,
    FALLBACK_MS_PER_MEGAPIXEL,
    model_ms_per_megapixel,
    result_estimate_ms,
    upload_automatic_defaults,
    upload_model_options,
)
from upscaler.selectors.model_labels import (  # noqa: F401
    model_choice_text,
    model_label,
    model_title,
    model_title_of,
)
from upscaler.selectors.submissions import (  # noqa: F401
    result_find_reusable,
    result_queue_positions,
    submission_events,
    submission_get_by_idempotency_key,
    submission_is_finished,
    submission_results,
    submission_status_payload,
)
from upscaler.selectors.tokens import (  # noqa: F401
    api_token_get_by_key,
    api_token_list,
)
from upscaler.selectors.usage import (  # noqa: F401
    owner_output_pixels_since,
)
from upscaler.selectors.viewers import (  # noqa: F401
    request_owner,
    request_viewer,
)
from upscaler.selectors.visibility import (  # noqa: F401
    owner_filter,
    result_get_files_viewable,
    result_get_visible,
    submission_get_files_viewable,
    submission_get_visible,
    submission_list_public,
    submission_list_visible,
    user_is_reviewer,
    viewer_may_see_upload,
)
